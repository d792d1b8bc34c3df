package remix

// Day3TrainedHeads is the head split of the shipped model, from
// training/induction/out/report.json (512 fresh sequences): Prev are the
// layer-0 heads whose previous-token score is above 0.5 (0.1: 0.51, 0.2:
// 0.88; the others 0.06-0.24), Induction the layer-1 heads whose induction
// score is above 0.5, which on this model trained only on repeated random
// tokens is all eight (0.63-0.98).
var Day3TrainedHeads = Day3Heads{Prev: []int{1, 2}, Induction: []int{0, 1, 2, 3, 4, 5, 6, 7}}
