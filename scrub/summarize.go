package scrub

// Summarize is the mean of xs and its standard error, as a Result reports
// them, for callers that evaluate several scrubs' circuits together.
func Summarize(xs []float64) Summary { return summarize(xs) }
