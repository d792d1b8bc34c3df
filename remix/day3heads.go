package remix

// Day3TrainedHeads is the head split of the shipped model, from
// training/induction/out/report.json: the trained model spreads both
// mechanisms over many heads, so Prev are the layer-0 heads whose
// previous-token score is above the layer's mean and Induction the layer-1
// heads whose induction score is above the layer's mean.
var Day3TrainedHeads = Day3Heads{Prev: []int{1, 2, 4, 6}, Induction: []int{1, 2, 3, 4, 5}}
