"""Time of the content checks on a long release with a large lexicon.

Not part of the test run. Builds, from jieba's word-frequency dictionary (the
``jieba`` package ships it), a lexicon of 50,000 real words sampled at random
(Han words of two or more characters; they go in the ``lexicon`` category beside
the lists Rongmei ships) and a release of 20,000 characters written with words
drawn by their frequency, with commas and full stops between, in paragraphs,
with headings and image captions, targeted at WeChat, Weibo and Douyin. Then,
in alternating rounds, times:

- the full check suite (``run_checks``) on the release;
- the lexicon scan alone: normalising every field and finding in it every term
  of every category (``CheckContext.scan``);
- the automaton alone on the same field texts, not normalised;
- the baseline: a pure-Python nested-dict DFA filter (``bench/dfa_baseline.py``)
  over the same texts, reporting the same matches;

twice: *warm* (each variant run many times in a row, its data in the CPU
caches) and *cold* (the variants taking turns run by run, each pushing the
others' data out of the caches). Prints median and 95th percentile of each, the
speed-up over the baseline, and how long building the matcher takes.

    .venv/bin/python bench/checks.py [--terms 50000] [--chars 20000] [--rounds 200]
"""

import argparse
import gc
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terms", type=int, default=50_000, help="lexicon size")
    parser.add_argument("--chars", type=int, default=20_000, help="release length")
    parser.add_argument("--rounds", type=int, default=200, help="timed rounds")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


def setup_django():
    sys.path.insert(0, str(REPO))
    import django
    from django.conf import settings

    settings.configure(USE_I18N=True, LANGUAGE_CODE="zh-hans", INSTALLED_APPS=[])
    django.setup()


def read_dictionary():
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    words, weights = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word, frequency, *_ = line.split()
            words.append(word)
            weights.append(int(frequency))
    return words, weights


def make_release(words, weights, chars, rng):
    from moderation.checks import ImageRef, ReleaseDocument, Target, TextField

    def sentence():
        parts = []
        for _ in range(rng.randint(1, 4)):
            clause = "".join(rng.choices(words, weights, k=rng.randint(3, 8)))
            parts.append(clause)
        return "，".join(parts) + "。"

    title = "".join(rng.choices(words, weights, k=6))[:28]
    fields = [
        TextField("title", title),
        TextField("digest", sentence()[:120]),
        TextField("author", "文／张三"),
    ]
    html = []
    images = []
    total = sum(len(f.text) for f in fields)
    index = 0
    while total < chars:
        name = "body.%d" % index
        if index % 7 == 3:
            text = "".join(rng.choices(words, weights, k=4))
            html.append("<h2>%s</h2>" % text)
        elif index % 7 == 5:
            images.append(ImageRef(name, "摄影：李四"))
            name += ".caption"
            text = sentence()
            html.append(
                "<figure><img src='x.jpg'><figcaption>%s</figcaption></figure>" % text
            )
        else:
            text = "".join(sentence() for _ in range(rng.randint(3, 8)))
            html.append("<p>%s</p>" % text)
        text = text[: chars - total] if total + len(text) > chars else text
        fields.append(TextField(name, text))
        total += len(text)
        index += 1
    return ReleaseDocument(
        fields=tuple(fields),
        targets=(Target("wechat_oa"), Target("weibo"), Target("douyin")),
        images=tuple(images),
        has_video=False,
        url="https://www.example.gov.cn/releases/2026/benchmark-release/",
        html="".join(html),
    )


def make_lexicon(words, size, rng):
    from moderation.checks.lexicon import Lexicon, Term, default_lexicon

    candidates = sorted({w for w in words if HAN_WORD.fullmatch(w)})
    sample = rng.sample(candidates, size)
    shipped = default_lexicon()
    terms = list(shipped.terms) + [Term(w, "lexicon", "warn") for w in sample]
    return sample, terms, shipped.sources, Lexicon


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000


def main():
    args = parse_args()
    setup_django()
    from bench.dfa_baseline import DFAFilter
    from moderation.checks import run_checks
    from moderation.checks.context import CheckContext

    rng = random.Random(args.seed)
    words, weights = read_dictionary()
    sample, terms, sources, Lexicon = make_lexicon(words, args.terms, rng)
    document = make_release(words, weights, args.chars, rng)
    texts = [f.text for f in document.fields]

    from moderation.checks.lexicon import char_table

    char_table()  # load OpenCC and build the character map first
    build_times = []
    for _ in range(3):
        seconds, lexicon = timed(lambda: Lexicon(terms, sources, version="bench"))
        build_times.append(seconds)
    dfa_build, dfa = timed(lambda: DFAFilter(sample))
    automaton = lexicon.matcher._automaton

    def suite():
        return run_checks(document, lexicon=lexicon)

    def lexicon_scan():
        return CheckContext(document, lexicon).scan

    def automaton_only():
        return [automaton.find_overlapping(t) for t in texts]

    def baseline():
        return [dfa.find(t) for t in texts]

    # Warm up, and check that both find the same matches.
    findings = suite()
    ours = sum(len(found) for _, found in lexicon_scan()["lexicon"])
    theirs = sum(len(found) for found in baseline())
    variants = {
        "full check suite": suite,
        "lexicon scan (normalise + match)": lexicon_scan,
        "automaton alone": automaton_only,
        "DFA baseline (pure Python)": baseline,
    }
    # Warm: blocks of consecutive runs of one variant, the variants taking
    # turns so that drift falls on all alike; each finds its data in the CPU
    # caches, as in a process checking release after release.
    warm = {name: [] for name in variants}
    blocks = 10
    for _ in range(blocks):
        for name, function in variants.items():
            gc.collect()
            for _ in range(max(1, args.rounds // blocks)):
                warm[name].append(timed(function)[0])
    # Cold: one run of each variant in turn, so that each finds its data pushed
    # out of the caches by the others, as in a process that checks a release
    # now and then between other requests.
    cold = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, function in variants.items():
            cold[name].append(timed(function)[0])

    print("Rongmei content checks benchmark")
    print(
        "python %s on %s, %d cores; daachorse, OpenCC"
        % (platform.python_version(), platform.machine(), os.cpu_count())
    )
    print(
        "release: %d characters in %d fields; lexicon: %d terms (%d sampled "
        "words + %d shipped); %d rounds"
        % (
            sum(map(len, texts)),
            len(texts),
            len(terms),
            len(sample),
            len(terms) - len(sample),
            args.rounds,
        )
    )
    blocking = sum(f.blocks for f in findings)
    print(
        "matches: %d of lexicon terms (DFA baseline: %d; normalisation finds "
        "traditional forms too); %d findings, %d blocking"
        % (ours, theirs, len(findings), blocking)
    )
    print()
    for title, samples in (("warm", warm), ("cold (interleaved)", cold)):
        print("%-36s %10s %10s" % (title, "median ms", "p95 ms"))
        medians = {}
        for name, values in samples.items():
            median, p95 = summary(values)
            medians[name] = median
            print("  %-34s %10.2f %10.2f" % (name, median, p95))
        base = medians["DFA baseline (pure Python)"]
        print(
            "  speed-up over the DFA baseline: lexicon scan %.1fx, automaton "
            "alone %.1fx"
            % (
                base / medians["lexicon scan (normalise + match)"],
                base / medians["automaton alone"],
            )
        )
        print()
    print(
        "matcher build for %d terms: %.0f ms (median of 3); DFA build: %.0f ms"
        % (len(terms), statistics.median(build_times) * 1000, dfa_build * 1000)
    )
    print("goals: full suite <= 20 ms, lexicon scan <= 2 ms, >= 10x the DFA baseline")


if __name__ == "__main__":
    main()
