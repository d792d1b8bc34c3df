// Package ui serves circopt's composable UI: one web page, built into the
// binary, that shows circuits as a tree (searchable by matcher) and
// tensors with named, typed dimensions as heatmaps, lines or image grids,
// sliced, faceted and reduced by clicking — in the spirit of Redwood's CUI
// and its VeryNamedTensor. `circopt ui FILE.circ…` and `remix -ui` use it;
// from Go, Show serves named tensors and ShowCircuits circuit variants.
//
// Invariants:
//   - Serve listens on DefaultAddr (127.0.0.1) unless told otherwise.
//   - Only the embedded assets (web/) and the given tensors and circuits are
//     served: no request path reaches the disk. Requests whose Host is not
//     an IP literal or localhost get 403 (DNS rebinding).
//   - A node is evaluated through the compiled path, once: the first
//     evaluation compiles every node of its variant as the outputs of one
//     circopt.Compile program and caches all the values (up to MaxEvalAll
//     elements; beyond, or if some node cannot be evaluated, each node is
//     compiled alone when asked for). An Array shows its own value.
//   - A slice answer carries at most MaxCells values: larger selections are
//     stride-sampled along the shown axes, and the answer says the step.
//   - Bad requests get 400 and {"error": "one line"}; nothing panics.
//
// # JSON API
//
// Every endpoint is GET and answers JSON; errors are {"error": "…"} with
// status 400 (bad parameter, bad matcher, a node that cannot be evaluated),
// 404 (unknown endpoint), 405 (not GET) or 403 (refused Host). Variants and
// nodes are numbered: variant i is the i-th circuit file (or Variant), node
// ids number a variant's distinct nodes in pre-order, first occurrence first,
// as `circopt print` numbers them.
//
//	GET /api/info
//	    {"variants": [{"index", "name", "roots": [id…], "nodes": count}…],
//	     "tensors": [{"name", "shape", "dims": [Dim…]}…], "maxCells", "dtype"}
//	GET /api/tree?v=I
//	    {"variant", "name", "roots": [id…], "nodes": [{"id", "name", "kind",
//	     "shape", "children": [id…], "parents": n}…]}
//	    parents > 1 marks a shared node.
//	GET /api/node?v=I&id=N
//	    {"node": {…}, "dims": [Dim…], "text": the node in the text format
//	     (at most MaxNodeText bytes), "truncated": bool}
//	GET /api/match?v=I&m=MATCHER
//	    {"found": [id…], "paths": [[id…]…], "truncated": bool}
//	    MATCHER is match.ParseMatcher's syntax; each path runs from a root to
//	    a found node (at most MaxPaths paths).
//	GET /api/eval?v=I&id=N
//	    evaluates node N (cached): {"node", "dims", "min", "max", "mean",
//	    "nonfinite", "seconds"}; min, max and mean are over finite values.
//	GET /api/slice?tensor=NAME&sel=SEL
//	GET /api/slice?v=I&id=N[&vs=J]&sel=SEL
//	    a view of a shown tensor or of a node's value; with vs=J, the node's
//	    value minus the value of the node of the same name in variant J.
//	    SEL has one comma-separated entry per dimension:
//	      x, y   the columns and rows shown (y needs x)
//	      f      the facet dimension (one small chart or image per position)
//	      img    an image-typed dimension shown as rows and columns (not with x, y)
//	      K      index K (negative counts from the end)
//	      mean, max, min, norm, sum   fold the dimension (one reducer per view)
//	    An empty SEL shows the last dimension as x (or img) and the one
//	    before as y (or f), indexing the rest at 0. The answer is
//	    {"source", "shape", "dims", "sel", "f", "y", "x", "data", "min", "max"}
//	    where each axis is {"dim", "name", "size", "step", "full", "labels"}
//	    (dim -1: absent), data holds f.size×y.size×x.size values in C order
//	    (null for NaN and ±Inf, float32 digits) and min, max are over the
//	    finite values sent. Position p of an axis is source position p·step.
//
// Dimension types: "seq" (positions), "image" (a flattened square image;
// 784 is a 28×28 MNIST digit) and "image:HxW". Nodes' dimensions are named
// by their named axes or "d0", "d1", …, and a square size of at least 16×16
// after another dimension is typed image.
package ui
