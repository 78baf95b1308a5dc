//===- OnnxEinsumOps.cpp - Einsum as broadcast products and sums ----------===//
//
// Einsum with any number of operands, ellipses, implicit outputs and
// repeated labels (diagonals). Each operand's repeated labels are reduced
// to one (times an identity mask, summed); every operand is then transposed
// and unsqueezed onto one order of all labels -- the output's first, the
// contracted ones after -- multiplied with numpy broadcasting, and summed
// over the contracted labels. Simple and exact, but it materializes the
// product over all labels: a MatMul-shaped einsum is better exported as a
// MatMul.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeBuilder.h"

#include <map>

using namespace mlir;
using llvm::Error;
using llvm::Expected;

namespace tessera::onnx_import {
namespace {

/// Removes spaces; splits "a,b->c" into terms and the output (if explicit).
bool parseEquation(std::string eq, SmallVector<std::string> &terms,
                   std::optional<std::string> &out) {
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  if (arrow != std::string::npos)
    out = eq.substr(arrow + 2);
  terms.clear();
  size_t start = 0;
  while (true) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return true;
}

/// Replaces "..." in `term` by `ellipsis` labels; false if malformed.
bool expandEllipsis(std::string &term, StringRef ellipsis) {
  size_t at = term.find("...");
  if (at == std::string::npos)
    return term.find('.') == std::string::npos;
  term = term.substr(0, at) + ellipsis.str() + term.substr(at + 3);
  return term.find('.') == std::string::npos;
}

Error convertEinsum(Importer &im, const onnx::NodeProto &node) {
  NodeBuilder nb(im, node);
  const onnx::AttributeProto *eqAttr = findAttr(node, "equation");
  if (!eqAttr)
    return im.nodeError(node, "needs an equation");
  SmallVector<std::string> terms;
  std::optional<std::string> out;
  parseEquation(eqAttr->s(), terms, out);
  if (static_cast<int>(terms.size()) != node.input_size())
    return im.nodeError(node, "the equation names " + llvm::Twine(terms.size()) +
                                  " operands, the node has " +
                                  llvm::Twine(node.input_size()));
  // Ellipsis labels are digits (equation labels are letters), right-aligned
  // across operands as numpy broadcasting aligns dims.
  int64_t ell = 0;
  SmallVector<int64_t> ellRank;
  for (auto [i, t] : llvm::enumerate(terms)) {
    int64_t explicitLabels =
        llvm::count_if(t, [](char c) { return std::isalpha(c); });
    int64_t e = t.find("...") != std::string::npos
                    ? nb.rank(node.input(i)) - explicitLabels
                    : 0;
    if (e < 0)
      return im.nodeError(node, "operand " + llvm::Twine(i) +
                                    " has fewer dims than labels");
    ellRank.push_back(e);
    ell = std::max(ell, e);
  }
  std::string allEll;
  for (int64_t k = 0; k < ell; ++k)
    allEll.push_back('0' + k);
  for (auto [i, t] : llvm::enumerate(terms)) {
    if (!expandEllipsis(t, StringRef(allEll).take_back(ellRank[i])))
      return im.nodeError(node, "malformed equation");
    if (static_cast<int64_t>(t.size()) != nb.rank(node.input(i)))
      return im.nodeError(node, "operand " + llvm::Twine(i) + " has rank " +
                                    llvm::Twine(nb.rank(node.input(i))) +
                                    ", the equation " + llvm::Twine(t.size()));
  }
  std::string outLabels;
  if (out) {
    outLabels = *out;
    if (!expandEllipsis(outLabels, allEll))
      return im.nodeError(node, "malformed equation");
  } else {
    std::map<char, int> uses;
    for (const std::string &t : terms)
      for (char c : t)
        if (std::isalpha(c))
          ++uses[c];
    outLabels = allEll;
    for (auto [c, n] : uses)
      if (n == 1)
        outLabels.push_back(c);
  }
  // Global label order: the output's, then the contracted ones.
  std::string order = outLabels;
  for (const std::string &t : terms)
    for (char c : t)
      if (order.find(c) == std::string::npos)
        order.push_back(c);
  SmallVector<std::string> aligned;
  for (auto [i, t] : llvm::enumerate(terms)) {
    std::string v = node.input(i), labels = t;
    // Diagonals: a label twice keeps the elements where both indices agree.
    for (size_t p = 0; p < labels.size(); ++p) {
      size_t q = labels.find(labels[p], p + 1);
      if (q == std::string::npos)
        continue;
      SmallVector<IntElem> d = nb.dims(v);
      if (!d[p].isStatic() || !d[q].isStatic() || d[p].value != d[q].value)
        return im.nodeError(node, "unsupported: a repeated label over "
                                  "dynamic or unequal dims");
      int64_t n = d[p].value;
      HostTensor eye;
      eye.elementType = im.b.getI1Type();
      eye.shape.assign(labels.size(), 1);
      eye.shape[p] = eye.shape[q] = n;
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < n; ++c)
          eye.ints.push_back({r == c ? 1 : 0, {}});
      ASSIGN_OR_RETURN(sel, nb.add("Where", {nb.constant(std::move(eye)), v,
                                             nb.scalar(nb.elementType(v), 0)}));
      ASSIGN_OR_RETURN(sum, nb.add("ReduceSum", {sel},
                                   {intsAttr("axes", {static_cast<int64_t>(q)}),
                                    intAttr("keepdims", 0)}));
      v = sum;
      labels.erase(q, 1);
      --p;
    }
    SmallVector<int64_t> perm;
    std::string sorted;
    for (char c : order) {
      size_t at = labels.find(c);
      if (at != std::string::npos) {
        perm.push_back(at);
        sorted.push_back(c);
      }
    }
    bool identity = true;
    for (auto [k, p] : llvm::enumerate(perm))
      identity &= static_cast<int64_t>(k) == p;
    if (!identity) {
      ASSIGN_OR_RETURN(tr, nb.add("Transpose", {v}, {intsAttr("perm", perm)}));
      v = tr;
    }
    SmallVector<int64_t> missing;
    for (auto [k, c] : llvm::enumerate(order))
      if (sorted.find(c) == std::string::npos)
        missing.push_back(k);
    if (!missing.empty()) {
      ASSIGN_OR_RETURN(u, nb.add("Unsqueeze", {v}, {intsAttr("axes", missing)}));
      v = u;
    }
    aligned.push_back(v);
  }
  std::string acc = aligned[0];
  for (size_t i = 1; i < aligned.size(); ++i) {
    ASSIGN_OR_RETURN(m, nb.add("Mul", {acc, aligned[i]}));
    acc = m;
  }
  if (order.size() > outLabels.size()) {
    SmallVector<int64_t> contracted;
    for (size_t k = outLabels.size(); k < order.size(); ++k)
      contracted.push_back(k);
    ASSIGN_OR_RETURN(r, nb.add("ReduceSum", {acc}, {intsAttr("axes", contracted),
                                                   intAttr("keepdims", 0)}));
    acc = r;
  }
  nb.setOutput(0, acc);
  return Error::success();
}

} // namespace

void registerEinsumConverters(ConverterTable &m) { m["Einsum"] = convertEinsum; }

} // namespace tessera::onnx_import
