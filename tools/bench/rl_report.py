#!/usr/bin/env python3
"""rl_report.py — tables (markdown), JSON and SVG charts of bench_rl_compare (and bench_rl_rewards,
which runs it with other rows) and bench_rl_passk.

  rl_report.py compare WORK OUT --seconds S --steps N --algos "grpo orft ..." --seeds "1 2 3"
  rl_report.py passk   WORK OUT --seconds S --steps N --seeds "1 2 3"

WORK holds the bench's files (before.json, ALGO-SEED.json from `mathmine eval`, ALGO-SEED/
log.jsonl and summary from `mathmine grpo`, ALGO-SEED.time = "seconds maxrss_kb" from
/usr/bin/time; rm.json and prm/summary.json from `mathmine rm` where the bench trained an
outcome or process reward model); writes OUT.md, OUT.json and OUT*.svg, and prints the tables."""
import argparse
import glob
import json
import math
import os
import re
import statistics
import struct

NAMES = {"before": "before RL (SFT)", "grpo": "GRPO", "orft": "online RFT", "rft": "RFT",
         "proc": "GRPO, process sup.", "ppo": "PPO", "dpo": "DPO", "odpo": "online DPO",
         "orm": "GRPO, ORM reward", "prm": "GRPO, PRM process reward",
         "mix": "GRPO, rule:0.5+PRM:0.5 process"}
# rows whose reward is (partly) a learned model: the report follows their mean reward
LEARNED = ("orm", "prm", "mix")
COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
          "#ff9da7", "#9c755f", "#bab0ac", "#d37295"]


def mean_sd(v):
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)


def fmt(v, digits=3):
    m, sd = mean_sd(v)
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def num(x, digits=3):
    """x to `digits` decimals; "n/a" for None (e.g. an AUC with no right or no wrong output)."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- SVG ----

def svg_frame(w, h, title):
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'font-family="sans-serif" font-size="12">',
            f'<rect width="{w}" height="{h}" fill="white"/>',
            f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{esc(title)}</text>']


def svg_yaxis(out, x0, y0, ph, ymax, label, pw):
    for i in range(6):
        v = ymax * i / 5
        y = y0 + ph - ph * i / 5
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.2f}</text>')
    out.append(f'<text x="16" y="{y0 + ph / 2}" transform="rotate(-90 16 {y0 + ph / 2})" '
               f'text-anchor="middle">{esc(label)}</text>')


def svg_legend(out, x, y, names, dashed=()):
    for i, n in enumerate(names):
        c = COLORS[i % len(COLORS)]
        dash = ' stroke-dasharray="5,3"' if n in dashed else ""
        out.append(f'<line x1="{x}" y1="{y + 16 * i}" x2="{x + 18}" y2="{y + 16 * i}" '
                   f'stroke="{c}" stroke-width="6"{dash}/>')
        out.append(f'<text x="{x + 24}" y="{y + 16 * i + 4}">{esc(n)}</text>')


def svg_bars(path, title, ylabel, cats, series):
    """series: [(name, [means], [sds])] drawn side by side in each category, with sd bars."""
    w, h, x0, y0, ph = 160 + 90 * len(cats), 380, 60, 40, 250
    pw = w - x0 - 150
    ymax = max(1e-9, max(m + s for _, ms, ss in series for m, s in zip(ms, ss))) * 1.1
    out = svg_frame(w, h, title)
    svg_yaxis(out, x0, y0, ph, ymax, ylabel, pw)
    slot = pw / len(cats)
    bw = slot * 0.8 / len(series)
    for j, (_, ms, ss) in enumerate(series):
        for i, (m, s) in enumerate(zip(ms, ss)):
            x = x0 + slot * i + slot * 0.1 + bw * j
            y = y0 + ph - ph * m / ymax
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{ph * m / ymax:.1f}" '
                       f'fill="{COLORS[j % len(COLORS)]}"/>')
            if s > 0:
                cx, ya, yb = x + bw / 2, y0 + ph - ph * (m + s) / ymax, y0 + ph - ph * max(0, m - s) / ymax
                out.append(f'<line x1="{cx:.1f}" y1="{ya:.1f}" x2="{cx:.1f}" y2="{yb:.1f}" stroke="black"/>')
    for i, c in enumerate(cats):
        x = x0 + slot * (i + 0.5)
        out.append(f'<text x="{x:.1f}" y="{y0 + ph + 16}" text-anchor="end" '
                   f'transform="rotate(-30 {x:.1f} {y0 + ph + 16})">{esc(c)}</text>')
    svg_legend(out, x0 + pw + 20, y0 + 10, [n for n, _, _ in series])
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


def svg_lines(path, title, xlabel, ylabel, xs, series, dashed=(), log2=True, ymax=1.0):
    """series: [(name, [means], [sds])] over xs (at log2 x unless log2=False), sd as error bars."""
    w, h, x0, y0, ph, pw = 620, 380, 60, 40, 280, 380
    lx = [math.log2(x) if log2 else x for x in xs]
    span = max(1e-9, lx[-1] - lx[0])
    out = svg_frame(w, h, title)
    svg_yaxis(out, x0, y0, ph, ymax, ylabel, pw)
    px = [x0 + pw * (v - lx[0]) / span for v in lx]
    every = max(1, len(xs) // 10)
    for x, v in list(zip(px, xs))[::every]:
        out.append(f'<text x="{x:.1f}" y="{y0 + ph + 16}" text-anchor="middle">{v}</text>')
    out.append(f'<text x="{x0 + pw / 2}" y="{y0 + ph + 34}" text-anchor="middle">{esc(xlabel)}</text>')
    for j, (name, ms, ss) in enumerate(series):
        c = COLORS[j % len(COLORS)]
        dash = ' stroke-dasharray="5,3"' if name in dashed else ""
        pts = " ".join(f"{x:.1f},{y0 + ph - ph * m / ymax:.1f}" for x, m in zip(px, ms))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"{dash}/>')
        for x, m, s in zip(px, ms, ss):
            out.append(f'<circle cx="{x:.1f}" cy="{y0 + ph - ph * m / ymax:.1f}" r="3" fill="{c}"/>')
            if s > 0:
                out.append(f'<line x1="{x:.1f}" y1="{y0 + ph - ph * (m + s) / ymax:.1f}" x2="{x:.1f}" '
                           f'y2="{y0 + ph - ph * (m - s) / ymax:.1f}" stroke="{c}"/>')
    svg_legend(out, x0 + pw + 20, y0 + 10, [n for n, _, _ in series], dashed)
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


# ---- inputs ----

def params_in(folder):
    """Number of float parameters in the safetensors files of a checkpoint folder."""
    n = 0
    for f in glob.glob(os.path.join(folder, "*.safetensors")):
        with open(f, "rb") as fh:
            (hl,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(hl))
        for k, t in header.items():
            if k != "__metadata__":
                n += math.prod(t["shape"])
    return n


def run_stats(W, a, s, K):
    ev = json.load(open(f"{W}/{a}-{s}.json"))
    log = [json.loads(l) for l in open(f"{W}/{a}-{s}/log.jsonl")]
    wall, rss = open(f"{W}/{a}-{s}.time").read().split()[-2:]
    return {"greedy": ev["greedy_acc"], "maj": ev[f"maj_at_{K}"], "pass": ev[f"pass_at_{K}"],
            "sample": ev["sample_acc"],
            "train_acc": statistics.mean(r["accuracy"] for r in log),
            "step_s": statistics.mean(r["rollout_s"] + r["update_s"] for r in log),
            "update_s": statistics.mean(r["update_s"] for r in log),
            "wall_s": float(wall), "rss_mb": int(rss) / 1024}


ANSWER = re.compile(r"####\s*(-?\d+)")


def last_answer(text):
    """The last '#### N' of a completion as an int, or None."""
    m = ANSWER.findall(text)
    return int(m[-1]) if m else None


def probe_answers(path):
    """Greedy answers in `mathmine generate` output (one sample per prompt), in prompt order;
    each completion is cut at the end-of-text token (shown as <256> by a byte-level model)."""
    out, cur = [], None
    for line in open(path, errors="replace").read().split("\n"):
        if re.match(r"^--- sample \d+ \(prompt \d+\)$", line):
            if cur is not None:
                out.append(cur)
            cur = ""
        elif cur is not None:
            cur += line + "\n"
    if cur is not None:
        out.append(cur)
    return [last_answer(t.split("Answer:\n", 1)[-1].split("<256>")[0]) for t in out]


def probe_stats(W, names):
    """Share of greedy answers equal to 0 and accuracy on the probe questions, per file name."""
    truth = [last_answer(json.loads(l)["text"]) for l in open(f"{W}/probe.jsonl")]
    res = {}
    for name in names:
        got = probe_answers(f"{W}/{name}.probe")
        if len(got) != len(truth):
            raise SystemExit(f"{W}/{name}.probe: {len(got)} answers for {len(truth)} questions")
        res[name] = {"zero": sum(g == 0 for g in got) / len(got),
                     "acc": sum(g == t for g, t in zip(got, truth)) / len(got),
                     "distinct": len({g for g in got if g is not None})}
    return truth, res


def compare(args):
    W, seeds, algos = args.work, args.seeds.split(), args.algos.split()
    before = json.load(open(f"{W}/before.json"))
    K = before["k"]
    runs = {a: [run_stats(W, a, s, K) for s in seeds] for a in algos}
    md = [f"Arith (`--plain --ops 2 --digits 1`), 200 held-out questions; {args.steps} steps of "
          f"16 questions x 8 samples per run; seeds {', '.join(seeds)}; mean ± sd over the seeds; "
          f"greedy accuracy, Maj@{K} and Pass@{K} at temperature 0.7; step s = rollout + update "
          f"(mean over steps); update s = the update alone; peak RSS of the `grpo` process.", "",
          f"| model | greedy | maj@{K} | pass@{K} | sample acc | step s | update s | peak RSS MB |",
          "| --- | --- | --- | --- | --- | --- | --- | --- |",
          f"| {NAMES['before']} | {before['greedy_acc']:.3f} | {before[f'maj_at_{K}']:.3f} | "
          f"{before[f'pass_at_{K}']:.3f} | {before['sample_acc']:.3f} | | | |"]
    for a in algos:
        r = runs[a]
        col = lambda k, d=3: fmt([x[k] for x in r], d)
        md.append(f"| {NAMES[a]} | {col('greedy')} | {col('maj')} | {col('pass')} | {col('sample')} | "
                  f"{col('step_s', 2)} | {col('update_s', 2)} | {col('rss_mb', 1)} |")
    extra = {}
    vdir = f"{W}/ppo-{seeds[0]}/value"
    if "ppo" in algos and os.path.isdir(vdir):
        pv, pp = params_in(vdir), params_in(f"{W}/sft/final")
        # AdamW training state per parameter: the weight, its gradient, two moments (fp32)
        extra = {"value_params": pv, "policy_params": pp, "value_state_mb": pv * 16 / 2**20}
        rss = {a: statistics.mean(x["rss_mb"] for x in runs[a]) for a in ("grpo", "ppo") if a in runs}
        md += ["", f"Value model: {pv:,} parameters (policy {pp:,}); its weights, gradients and "
               f"two AdamW moments in fp32 = 16 bytes x {pv:,} = {extra['value_state_mb']:.2f} MB, "
               f"what GRPO does not hold.  Measured peak RSS: GRPO {rss.get('grpo', 0):.1f} MB, "
               f"PPO {rss.get('ppo', 0):.1f} MB (difference {rss.get('ppo', 0) - rss.get('grpo', 0):+.1f} MB, "
               f"which also counts the value model's activations and PPO's per-token buffers)."]
        if "grpo" in runs:
            # runs of one seed ran back to back, under about the same load: compare within a seed
            ratio = lambda k: fmt([p[k] / g[k] for g, p in zip(runs["grpo"], runs["ppo"])], 2)
            extra["ppo_over_grpo"] = {k: [p[k] / g[k] for g, p in zip(runs["grpo"], runs["ppo"])]
                                      for k in ("step_s", "update_s")}
            md += ["", f"PPO / GRPO time per step, same seed: step {ratio('step_s')}x, "
                   f"update {ratio('update_s')}x."]
    if os.path.exists(f"{W}/rm.json"):
        rm = json.load(open(f"{W}/rm.json"))
        extra["rm_auc"] = [rm["held_out_before"]["auc"], rm["held_out"]["auc"]]
        md += ["", f"Outcome reward model (`mathmine rm`, 1,024 samples of the SFT model): held-out "
               f"AUC {num(rm['held_out_before']['auc'])} (fresh head) → {num(rm['held_out']['auc'])}."]
    if os.path.exists(f"{W}/prm/summary.json"):
        pr = json.load(open(f"{W}/prm/summary.json"))
        hb, ha = pr["held_out_before"], pr["held_out"]
        extra["prm"] = {"auc": [hb["auc"], ha["auc"]], "step_auc": [hb["step_auc"], ha["step_auc"]],
                        "held_out_outputs": ha["n"], "held_out_right": ha["positives"],
                        "held_out_steps": ha["steps"], "held_out_good_steps": ha["step_positives"],
                        "train_samples": pr["train_samples"], "train_right": pr["train_positives"],
                        "sample_s": pr["sample_seconds"], "train_s": pr["train_seconds"]}
        md += ["", f"Process reward model (`mathmine rm --kind prm --rollouts 4`, the same "
               f"{pr['train_samples']:,} samples, {pr['train_positives']} right; Monte-Carlo step "
               f"targets): held-out solution AUC (lowest step score) {num(hb['auc'])} → {num(ha['auc'])}, "
               f"step AUC {num(hb['step_auc'])} → {num(ha['step_auc'])} ({ha['n']} held-out outputs, "
               f"{ha['positives']} right; {ha['steps']:,} steps, {ha['step_positives']} good); "
               f"sampling + labelling {pr['sample_seconds']:.0f} s, training {pr['train_seconds']:.0f} s."]
    on = [a for a in algos if a not in ("rft", "dpo")]
    logs = {a: [[json.loads(l)["accuracy"] for l in open(f"{W}/{a}-{s}/log.jsonl")] for s in seeds]
            for a in on}
    n = min(len(v) for a in on for v in logs[a])
    w = max(1, n // 4)
    md += ["", f"On-policy sample accuracy during training (the checker's, mean over seeds; RFT "
           f"and DPO sample the frozen SFT model): steps 1–{w} → {n - w + 1}–{n}: " +
           ", ".join(f"{NAMES[a]} {fmt([statistics.mean(v[:w]) for v in logs[a]])} → "
                     f"{fmt([statistics.mean(v[n - w:n]) for v in logs[a]])}" for a in on) + "."]
    learned = [a for a in algos if a in LEARNED]
    if learned:
        # the reward the policy is trained on vs the checker's accuracy of the same samples:
        # a learned reward that rises while accuracy does not is being exploited
        rew = {a: [[json.loads(l)["reward_mean"] for l in open(f"{W}/{a}-{s}/log.jsonl")]
                   for s in seeds] for a in learned}
        extra["reward_mean"] = {a: [[statistics.mean(v[:w]), statistics.mean(v[n - w:n])]
                                    for v in rew[a]] for a in learned}
        md += ["", f"Mean outcome reward of the on-policy samples (`reward_mean` in the log: rule 1 "
               f"if right, ORM σ(score), PRM σ(lowest step score), mixes weighted; with process "
               f"supervision the advantages come from the step rewards), steps 1–{w} → {n - w + 1}–{n}: " +
               ", ".join(f"{NAMES[a]} {fmt([statistics.mean(v[:w]) for v in rew[a]])} → "
                         f"{fmt([statistics.mean(v[n - w:n]) for v in rew[a]])}" for a in learned) + "."]
    if os.path.exists(f"{W}/probe.jsonl"):
        truth, pr = probe_stats(W, ["before"] + [f"{a}-{s}" for a in algos for s in seeds])
        col = lambda a, k, d=3: fmt([pr[f"{a}-{s}"][k] for s in seeds], d)
        extra["probe"] = {"questions": len(truth), "true_zero": sum(t == 0 for t in truth) / len(truth),
                          "runs": pr}
        md += ["", f"Greedy answers to {len(truth)} train questions (`mathmine generate`, the "
               f"completion cut at end-of-text; {extra['probe']['true_zero']:.3f} of the true "
               f"answers are 0): share answering 0 / accuracy / distinct answers: "
               f"{NAMES['before']} {pr['before']['zero']:.3f} / {pr['before']['acc']:.3f} / "
               f"{pr['before']['distinct']}, " +
               ", ".join(f"{NAMES[a]} {col(a, 'zero')} / {col(a, 'acc')} / {col(a, 'distinct', 1)}"
                         for a in algos) + "."]
    md += ["", f"Total {args.seconds} s."]
    text = "\n".join(md) + "\n"
    print(text)
    open(args.out + ".md", "w").write(text)
    json.dump({"before": before, "runs": runs, "seeds": seeds, "steps": args.steps, **extra,
               "seconds": args.seconds}, open(args.out + ".json", "w"), indent=1)
    cats = [NAMES["before"]] + [NAMES[a] for a in algos]
    ser = []
    for key, ek, label in (("greedy", "greedy_acc", "greedy"), ("maj", f"maj_at_{K}", f"maj@{K}"),
                           ("pass", f"pass_at_{K}", f"pass@{K}")):
        ms, ss = [before[ek]], [0.0]
        for a in algos:
            m, s = mean_sd([x[key] for x in runs[a]])
            ms.append(m), ss.append(s)
        ser.append((label, ms, ss))
    svg_bars(args.out + ".svg", f"held-out accuracy after {args.steps} RL steps (mean ± sd, "
             f"{len(seeds)} seeds)", "accuracy", cats, ser)
    # the paper's Fig. 5 plots accuracy over training; here the on-policy algorithms' sample
    # accuracy per step (RFT and DPO sample the frozen SFT model, so theirs is flat)
    steps = list(range(1, n + 1))
    curves = [(NAMES[a], [statistics.mean(v[i] for v in logs[a]) for i in range(len(steps))],
               [0.0] * len(steps)) for a in on]
    svg_lines(args.out + "_curve.svg", f"sample accuracy per step, on-policy (mean of {len(seeds)} seeds)",
              "step", "accuracy", steps, curves, log2=False,
              ymax=max(0.05, max(max(m) for _, m, _ in curves)) * 1.2)
    ms = [mean_sd([x["step_s"] for x in runs[a]]) for a in algos]
    svg_bars(args.out + "_time.svg", "seconds per RL step (rollout + update)", "s",
             [NAMES[a] for a in algos], [("step s", [m for m, _ in ms], [s for _, s in ms])])


def passk(args):
    W, seeds = args.work, args.seeds.split()
    before = json.load(open(f"{W}/before.json"))
    after = [json.load(open(f"{W}/grpo-{s}.json")) for s in seeds]
    ks = [p["k"] for p in before["curve"]]
    rows = {"k": ks, "before": before["curve"], "after": [a["curve"] for a in after]}
    md = [f"Arith (`--plain --ops 2 --digits 1`), 200 held-out questions, {before['k']} samples per "
          f"question at temperature 0.7; GRPO {args.steps} steps of 16 questions x 8 samples; "
          f"after = mean ± sd over seeds {', '.join(seeds)}.", "",
          "| k | pass@k before | pass@k after GRPO | maj@k before | maj@k after GRPO |",
          "| --- | --- | --- | --- | --- |"]
    series = {"pass@k before": ([], []), "pass@k after GRPO": ([], []),
              "maj@k before": ([], []), "maj@k after GRPO": ([], [])}
    for j, k in enumerate(ks):
        pa = [a["curve"][j]["pass"] for a in after]
        ma = [a["curve"][j]["maj"] for a in after]
        pb, mb = before["curve"][j]["pass"], before["curve"][j]["maj"]
        md.append(f"| {k} | {pb:.3f} | {fmt(pa)} | {mb:.3f} | {fmt(ma)} |")
        for name, v in (("pass@k before", [pb]), ("pass@k after GRPO", pa),
                        ("maj@k before", [mb]), ("maj@k after GRPO", ma)):
            m, s = mean_sd(v)
            series[name][0].append(m), series[name][1].append(s)
    g = [a["greedy_acc"] for a in after]
    md += ["", f"Greedy accuracy: before {before['greedy_acc']:.3f}, after {fmt(g)}.  "
           f"Total {args.seconds} s."]
    text = "\n".join(md) + "\n"
    print(text)
    open(args.out + ".md", "w").write(text)
    json.dump({**rows, "greedy_before": before["greedy_acc"], "greedy_after": g, "seeds": seeds,
               "steps": args.steps, "seconds": args.seconds}, open(args.out + ".json", "w"), indent=1)
    svg_lines(args.out + ".svg", f"Pass@k and Maj@k before and after GRPO ({len(seeds)} seeds)",
              "k (samples per question)", "accuracy", ks,
              [(n, m, s) for n, (m, s) in series.items()],
              dashed=("pass@k before", "maj@k before"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("compare", "passk"))
    p.add_argument("work")
    p.add_argument("out")
    p.add_argument("--seconds", type=int, default=0)
    p.add_argument("--steps", default="")
    p.add_argument("--algos", default="")
    p.add_argument("--seeds", default="1")
    args = p.parse_args()
    (compare if args.mode == "compare" else passk)(args)


if __name__ == "__main__":
    main()
