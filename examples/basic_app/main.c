/*===- main.c - A C app that runs a Tessera-compiled model ---------------===*
 *
 * Links model.o (generated code) and libtessera_runtime.a statically, loads
 * model.tsr, feeds every input with a deterministic ramp (floats) or zeros
 * (integers), and prints each output's name, shape and values, one value a
 * line, so a test can compare them with a reference.
 *
 * Build (see README.md):
 *   cc -I OUT -I runtime/include main.c OUT/model.o libtessera_runtime.a \
 *      -lstdc++ -ldl -lpthread -lm -o app
 *   ./app OUT/model.tsr [DIM_VALUE]
 * DIM_VALUE (default 4) is used for every dynamic input dim.
 *===----------------------------------------------------------------------===*/

#include "model.h"

#include <stdio.h>
#include <stdlib.h>

static int check(tsr_status_t status, const char *what) {
  if (!status)
    return 0;
  fprintf(stderr, "basic_app: %s: %s\n", what, tsr_status_message(status));
  tsr_status_free(status);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.tsr [DIM_VALUE]\n", argv[0]);
    return 2;
  }
  int64_t dynamicDim = argc > 2 ? atoll(argv[2]) : 4;

  tsr_model_t *model = NULL;
  if (check(tsr_model_load_linked(argv[1], &model), "load"))
    return 1;
  tsr_session_t *session = NULL;
  if (check(tsr_session_create(model, NULL, &session), "session")) {
    tsr_model_release(model);
    return 1;
  }

  size_t numInputs = tsr_model_num_inputs(model);
  size_t numOutputs = tsr_model_num_outputs(model);
  tsr_tensor_view_t *inputs = calloc(numInputs, sizeof(tsr_tensor_view_t));
  tsr_tensor_view_t *outputs = calloc(numOutputs, sizeof(tsr_tensor_view_t));
  int failed = 0;
  for (size_t i = 0; i < numInputs && !failed; ++i) {
    tsr_tensor_info_t info;
    failed = check(tsr_model_input_info(model, i, &info), "input info");
    if (failed)
      break;
    tsr_tensor_view_t *v = &inputs[i];
    v->dtype = info.dtype;
    v->rank = info.rank;
    size_t count = 1;
    for (int32_t d = 0; d < info.rank; ++d) {
      v->shape[d] = info.shape[d] < 0 ? dynamicDim : info.shape[d];
      count *= (size_t)v->shape[d];
    }
    v->byte_size = count * tsr_dtype_size(info.dtype);
    v->data = calloc(count ? count : 1, tsr_dtype_size(info.dtype));
    if (info.dtype == TSR_DTYPE_F32)
      for (size_t k = 0; k < count; ++k)
        ((float *)v->data)[k] = (float)((int)(k % 17) - 8) / 8.0f;
  }
  if (!failed)
    failed = check(tsr_session_run(session, inputs, numInputs, outputs,
                                   numOutputs),
                   "run");
  for (size_t i = 0; i < numOutputs && !failed; ++i) {
    tsr_tensor_info_t info;
    failed = check(tsr_model_output_info(model, i, &info), "output info");
    if (failed)
      break;
    size_t count = 1;
    printf("output '%s' %s [", info.name, tsr_dtype_name(outputs[i].dtype));
    for (int32_t d = 0; d < outputs[i].rank; ++d) {
      printf("%s%lld", d ? ", " : "", (long long)outputs[i].shape[d]);
      count *= (size_t)outputs[i].shape[d];
    }
    printf("]\n");
    if (outputs[i].dtype == TSR_DTYPE_F32)
      for (size_t k = 0; k < count; ++k)
        printf("%.7g\n", ((const float *)outputs[i].data)[k]);
  }
  for (size_t i = 0; i < numInputs; ++i)
    free(inputs[i].data);
  free(inputs);
  free(outputs);
  tsr_session_release(session);
  tsr_model_release(model);
  return failed;
}
