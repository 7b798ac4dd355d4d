#!/usr/bin/python3
"""bench/report.py — turns bench/run's rows (OUT/rows.tsv) into the table it prints, OUT/results.md,
OUT/results.csv and PNG charts drawn by gnuplot (OUT/ratios.png: each ratio against its goal;
OUT/rates.png: the rows/s of each throughput row, its reference beside vaksin; OUT/latency.png:
the desk latency distribution, when the latency scenario ran).

    bench/report.py OUT STAMP SETTINGS
"""
import csv
import math
import os
import re
import shutil
import subprocess
import sys

HEAD = ["scenario", "what is measured", "reference", "product", "ratio / percentile", "goal",
        "meets"]


def main():
    out, stamp, settings = sys.argv[1:4]
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "rows.tsv")) if l.strip()]
    rows = [r + ["-"] * (len(HEAD) - len(r)) for r in rows]

    widths = [min(max(len(r[i]) for r in rows + [HEAD]), 70 if i == 1 else 40)
              for i in range(len(HEAD))]
    def line(r):
        return "  ".join(c[:w].ljust(w) if i != 1 else (c if len(c) <= w else c[:w - 1] + "…").ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))
    print()
    print(line(HEAD))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    print("\n%s  (%s)\nresults: %s" % (stamp, settings, out))

    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("Run %s on %s (%s).\n\n" % (stamp, os.uname().nodename, settings))
        f.write("| " + " | ".join(HEAD) + " |\n|" + "---|" * len(HEAD) + "\n")
        for r in rows:
            cells = [c.replace("|", "\\|") for c in r]
            cells[-1] = "**NO**" if cells[-1] == "NO" else cells[-1]
            f.write("| " + " | ".join(cells) + " |\n")
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEAD)
        w.writerows(rows)

    if not shutil.which("gnuplot"):
        print("bench: gnuplot not installed (scripts/deps installs gnuplot-nox): no charts",
              file=sys.stderr)
        return
    charts = []
    # Ratios against goals: one bar per ratio row, its goal as a tick mark, on a log scale (the
    # naive ratio is tens, the others around one). The lookups row's goal is a rate, not a
    # ratio: it has no bar.
    bars = []
    for r in rows:
        if r[4].endswith("×") and r[5].startswith("≥"):
            try:
                ratio = float(r[4].rstrip("×"))
                goal = float(r[5].split()[1].rstrip("×"))
            except (ValueError, IndexError):  # a goal that is not a ratio (lookups/s)
                continue
            name = r[0]
            same = sum(1 for b in bars if b[0].split(" ")[0] == name)
            bars.append(("%s %d" % (name, same + 1) if same else name, ratio, goal))
    if bars:
        dat = os.path.join(out, "ratios.dat")
        with open(dat, "w") as f:
            for i, (name, ratio, goal) in enumerate(bars):
                f.write('%d "%s" %g %g\n' % (i, name, ratio, goal))
        charts.append("""
set terminal pngcairo size 800,450 font ",10" noenhanced
set output "%s/ratios.png"
set title "vaksin bench %s: product ÷ reference (bars) against the goal (line)"
set logscale y
set yrange [0.05:*]
set style fill solid 0.6
set boxwidth 0.5
set grid ytics
set key top left
plot "%s" using 1:3:xtic(2) with boxes title "product ÷ reference", \\
     "" using 1:4:($1-0.3):($1+0.3) with xerrorbars pt 0 lw 3 lc rgb "red" title "goal"
""" % (out, stamp, dat))
    # Rates: each throughput row's reference and vaksin's figure side by side (rows/s or
    # events/s, linear), the peer's bars named.
    refs = {"import": "COPY", "connect": "JDBC sink", "naive": "1 row/txn",
            "growth": "empty table", "registry": "no registry"}
    rates = []
    for r in rows:
        if r[0] in refs and r[4].endswith("×") and r[2] != "-" and r[3] != "-":
            try:
                ref, prod = float(r[2].replace(",", "")), float(r[3].replace(",", ""))
            except ValueError:
                continue
            name = r[0]
            m = re.search(r"(\d+) instance\(s\)", r[1])
            if m:  # connect: vaksin-projector instances against as many sink tasks
                name = "%s %s+%s" % (name, m.group(1), m.group(1))
            rates.append((name, refs[r[0]], ref, prod))
    if rates:
        dat = os.path.join(out, "rates.dat")
        with open(dat, "w") as f:
            for i, (name, ref_name, ref, prod) in enumerate(rates):
                f.write('%d "%s\\n(ref: %s)" %g %g\n' % (i, name, ref_name, ref, prod))
        charts.append("""
set terminal pngcairo size 1000,480 font ",10" noenhanced
set output "%s/rates.png"
set title "vaksin bench %s: rows/s (events/s for naive), the reference beside vaksin"
unset logscale
set yrange [0:*]
set style fill solid 0.6
set boxwidth 0.35
set grid ytics
set key top right
set bmargin 4
set format y "%%.0f"
plot "%s" using ($1-0.2):3:xtic(2) with boxes lc rgb "gray50" title "reference", \\
     "" using ($1+0.2):4 with boxes lc rgb "purple" title "vaksin"
""" % (out, stamp, dat))
    lat = os.path.join(out, "raw", "latencies.tsv")
    if os.path.exists(lat):
        v = sorted(float(x[2]) for x in (l.rstrip("\n").split("\t") for l in open(lat))
                   if len(x) > 2 and x[2] and float(x[0]) >= 0)
        if v:
            dat = os.path.join(out, "latency.dat")
            with open(dat, "w") as f:
                step = max(1, len(v) // 2000)
                for i in list(range(0, len(v), step)) + [len(v) - 1]:
                    f.write("%g %g\n" % (v[i], 100.0 * (i + 1) / len(v)))
            p50 = v[max(0, math.ceil(0.5 * len(v)) - 1)]
            p99 = v[max(0, math.ceil(0.99 * len(v)) - 1)]
            charts.append("""
set terminal pngcairo size 800,450 font ",10" noenhanced
set output "%s/latency.png"
set title "desk latency, %d requests: p50 %.0f ms, p99 %.0f ms (goals 25 / 100 ms)"
unset logscale
set logscale x
set xlabel "ms from produce to row visible in event_log"
set ylabel "%% of requests at or below"
set yrange [0:100]
set grid
set key bottom right
set arrow 1 from 25, graph 0 to 25, graph 1 nohead lc rgb "orange" dt 2
set arrow 2 from 100, graph 0 to 100, graph 1 nohead lc rgb "red" dt 2
plot "%s" using 1:2 with lines lw 2 title "cumulative distribution"
""" % (out, len(v), p50, p99, dat))
    for script in charts:
        subprocess.run(["gnuplot"], input=script, text=True, check=False)
    pngs = [p for p in ("ratios.png", "rates.png", "latency.png") if os.path.exists(os.path.join(out, p))]
    if pngs:
        print("charts: " + ", ".join(os.path.join(out, p) for p in pngs))


if __name__ == "__main__":
    main()
