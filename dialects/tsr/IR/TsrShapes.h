//===- TsrShapes.h - Shape rules shared by tsr ops --------------*- C++ -*-===//
//
// The broadcasting and matmul shape rules of the tsr ops, used by their
// verifiers and type inference, and by the importers and lowerings that
// build them, so the rules live in one place.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECTS_TSR_IR_TSRSHAPES_H
#define TESSERA_DIALECTS_TSR_IR_TSRSHAPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mlir::tsr {

/// Columns per panel of a packed linear weight; equal to the runtime's
/// TSR_SGEMM_PANEL_WIDTH (runtime/include/tessera/abi.h).
inline constexpr int64_t kPackedPanelWidth = 16;
/// The int8 kernels' packed weights (TSR_QGEMM_* in tessera/abi.h): panels of
/// kPackedPanelWidth columns, groups of kQuantizedKGroup k values, one group
/// of a panel kQuantizedGroupBytes bytes; K at most kQuantizedMaxK.
inline constexpr int64_t kQuantizedKGroup = 4;
inline constexpr int64_t kQuantizedGroupBytes = 64;
inline constexpr int64_t kQuantizedMaxK = 65536;
/// The bf16 kernels' packed weights (TSR_BGEMM_*): panels of
/// kPackedPanelWidth columns, rows of kBf16KGroup k values of each of them
/// (kBf16RowElements bf16 elements); K at most kBf16MaxK.
inline constexpr int64_t kBf16KGroup = 2;
inline constexpr int64_t kBf16RowElements = 32;
inline constexpr int64_t kBf16MaxK = 16384;
/// The sparse kernels' formats (TSR_SPGEMM_*): blocks of kSparseBlock x
/// kSparseBlock weights; K at most kSparseMaxK (TSR_SPGEMM_MAX_K).
inline constexpr int64_t kSparseBlock = 16;
inline constexpr int64_t kSparseMaxK = int64_t(1) << 30;

/// The numpy-broadcast shape of `shapes`, or std::nullopt when two static
/// dims differ and neither is 1. A dynamic dim broadcast against 1 stays
/// dynamic; two dynamic dims are assumed equal.
std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes);

/// The result shape of tsr.matmul, or std::nullopt (with `why` set) when the
/// operands do not fit.
std::optional<SmallVector<int64_t>>
matmulResultShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                  bool transposeLhs, bool transposeRhs, std::string *why);

/// True when two shapes agree wherever both are static.
bool areShapesCompatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b);

} // namespace mlir::tsr

#endif // TESSERA_DIALECTS_TSR_IR_TSRSHAPES_H
