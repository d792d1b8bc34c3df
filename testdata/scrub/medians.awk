# Summarizes timing.sh's (and timing_days.sh's) output: per benchmark and thread count, the median
# over its runs of wall ns/op and cpu-ms/op (circopt), and of the medians
# PyTorch prints (torch: one median over -reps repetitions per run).
# awk -f testdata/scrub/medians.awk testdata/scrub/timing.txt
function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^threads=[0-9]+ Benchmark/ {
    name = $1 " " $2; sub(/-[0-9]+$/, "", name)
    wall[name] = wall[name] " " $4 / 1e6; cpu[name] = cpu[name] " " $6; runs[name]++
}
/^(base|new)[0-9]* threads=[0-9]+ Benchmark/ {
    # timing_days.sh's before/after lines: "base|new threads=T BenchmarkX ..."
    name = $1 " " $2 " " $3; sub(/-[0-9]+$/, "", name)
    wall[name] = wall[name] " " $5 / 1e6; cpu[name] = cpu[name] " " $7; runs[name]++
}
/^threads=[0-9]+ [a-z0-9_]+_torch eval median [0-9.]+ ms\/op \([0-9.]+ cpu-ms\/op\)  reps/ {
    # timing_days.sh's PyTorch lines: one median over -reps per run
    name = $1 " " $2; c = $7; sub(/\(/, "", c)
    wall[name] = wall[name] " " $5; cpu[name] = cpu[name] " " c; runs[name]++
}
/^threads=[0-9]+ scrub_torch eval median/ {
    # threads=T scrub_torch eval median W ms/op (C cpu-ms/op)  sample+eval median W ms/op (C cpu-ms/op)  reps R
    t = $1
    e = $5; ec = $7; sub(/\(/, "", ec)
    f = $11; fc = $13; sub(/\(/, "", fc)
    wall[t " torch/eval"] = wall[t " torch/eval"] " " e; cpu[t " torch/eval"] = cpu[t " torch/eval"] " " ec; runs[t " torch/eval"]++
    wall[t " torch/sample+eval"] = wall[t " torch/sample+eval"] " " f; cpu[t " torch/sample+eval"] = cpu[t " torch/sample+eval"] " " fc; runs[t " torch/sample+eval"]++
}
END {
    for (k in runs) printf "%-48s runs %2d  wall %8.3f ms  cpu %8.3f ms\n", k, runs[k], median(wall[k]), median(cpu[k]) | "sort"
}
