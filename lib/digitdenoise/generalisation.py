"""Does a denoiser help on voices, noises and microphones it has never met? (chapter 6)

The generalisation benchmark (``bench/generalisation.py``) crosses

* **clean speech** from the FSDD test speaker and from speechocean762's test speakers (digit strings and
  other sentences, different microphones and rooms, children and adults), read at the model's 8 kHz;
* **noise**: recordings that no general-recipe training saw, the Hu test files and the six Speech
  Commands recordings (another corpus; the FSDD-recipe models trained on parts of them, and a model
  fine-tuned from one of those has met them through its starting weights:
  :func:`~digitdenoise.training.heard_speech_commands_noise`), beside familiar kinds drawn afresh (white
  and pink noise) and babble of one or three test-split talkers;
* **SNRs** of -8, -5, 0 and +5 dB over each whole utterance,

and runs every method on the same mixtures. Each (source, noise, SNR) cell uses the same utterances and
the same noise excerpt at every SNR (only the noise gain changes), so differences between SNRs are paired.
A second condition feeds the recordings *as they are* (no added noise) to every method: a good denoiser
leaves them alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .config import check_number
from .errors import DataError, ParameterError

# the recorded run's readers (generalisation_results.py) were split out of this module; their names stay
# reachable as generalisation.<name> for the chapters, the benchmarks and the tests
__all__ = [
    # defined here
    "SNRS", "SOURCES", "NOISE_FAMILIES", "NONSPEECH_FAMILIES", "PEER_STREAM_SIGNALS", "TestSpeech", "LazySignals",
    "test_speech", "data_digit_words", "test_noises", "Mixtures", "make_mixtures", "SignalMethod", "model_method",
    "peer_methods", "score_signals", "run_methods", "summarise", "check_bars", "no_added_noise", "condition_table",
    # re-exported from generalisation_results.py (imported at the end: it reads this module's mixtures)
    "RECORDED", "Recorded", "load_recorded", "unseen_noise_means", "unseen_noise_cells", "cell_means",
    "replay_cell", "compare_methods",
]

SNRS = (-8.0, -5.0, 0.0, 5.0)
SOURCES = ("fsdd", "so-digits", "so-sentences")
NOISE_FAMILIES = ("hu-test", "speech-commands", "generated", "talkers")
# The conditions the bars single out
NONSPEECH_FAMILIES = ("hu-test", "speech-commands")
PEER_STREAM_SIGNALS = 60  # utterances per stream played to a pretrained peer


@dataclasses.dataclass
class TestSpeech:
    """Clean test utterances at one rate (chapter 6): a table (``clip_id, source, speaker, text``) and
    the signals in the same order."""

    table: pd.DataFrame
    signals: list[np.ndarray]
    sr: int


class LazySignals:
    """A list of signals read from files on first access (and kept): replaying one benchmark cell reads,
    and on a fresh machine fetches, only the utterances it uses (chapter 6)."""

    def __init__(self, readers: list):
        self._readers, self._cache = list(readers), {}

    def __len__(self) -> int:
        return len(self._readers)

    def __getitem__(self, i: int) -> np.ndarray:
        if i not in self._cache:
            self._cache[i] = self._readers[i]()
        return self._cache[i]


def test_speech(data_home=None, *, sr: int = 8000, fsdd_clips: int = 120, so_sentences: int = 200,
                max_seconds: float = 4.0, seed: int = 0, lazy: bool = False) -> TestSpeech:
    """The benchmark's clean speech (chapter 6): ``fsdd_clips`` clips of FSDD's test speaker(s), every
    speechocean762 test digit string, and ``so_sentences`` of its test sentences spread over the test
    speakers, each cut to ``max_seconds``. Only test speakers are read; with ``lazy`` a signal is read
    (and fetched) only when it is used."""
    from . import data
    from .datasets import speechocean762

    check_number("max_seconds", max_seconds, minimum=0.5, maximum=30)
    fsdd = data.assign_split(data.load_clips("fsdd", data_home), seed=seed)
    fsdd = fsdd[fsdd["split"] == "test"]
    if len(fsdd) > fsdd_clips:
        fsdd = data.subsample(fsdd, max(1, fsdd_clips // fsdd["speaker"].nunique()), seed=seed)
    so = speechocean762.load_utterances(data_home, splits=("test",), audio=not lazy)
    digits = so[so["kind"] == "digits"]
    sentences = so[so["kind"] == "sentence"]
    if len(sentences) > so_sentences:  # round robin over speakers, so every test voice is heard
        order = sentences.sample(frac=1.0, random_state=seed)
        order = order.assign(_rank=order.groupby("speaker").cumcount()).sort_values(["_rank", "speaker"])
        sentences = order.head(so_sentences).drop(columns="_rank")
    rows, readers = [], []
    limit = int(max_seconds * sr)
    for source, table in (("fsdd", fsdd), ("so-digits", digits), ("so-sentences", sentences)):
        for _, row in table.iterrows():
            text = " ".join(data_digit_words(row["digit"])) if source == "fsdd" else row["text"].lower()
            rows.append({"clip_id": row["clip_id"], "source": source, "speaker": f"{row['dataset']}/{row['speaker']}",
                         "text": text})
            if source == "fsdd":
                readers.append(lambda p=row["path"]: data.read_audio(p, sr)[0])
            else:
                cut = limit if source == "so-sentences" else None
                readers.append(lambda r=row.to_frame().T, c=cut: speechocean762.read(r, sr, data_home)[0][:c])
    signals = LazySignals(readers)
    if not lazy:
        signals = [signals[i] for i in range(len(signals))]
    return TestSpeech(pd.DataFrame(rows), signals, sr)


def data_digit_words(digit: int) -> list[str]:
    """The transcript of an FSDD clip of ``digit``: one word (chapter 6)."""
    from .recognition import DIGIT_WORDS

    return [DIGIT_WORDS[int(digit)]]


def test_noises(data_home=None, *, sr: int = 8000, seconds: float = 30.0, seed: int = 0,
                babble_talkers: Sequence[int] = (1, 3)) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The benchmark's noises, unit RMS at ``sr`` (chapter 6): ``({name: signal}, {name: family})``.
    Hu test files (``hu/n5`` ...), the Speech Commands recordings (``sc/...``), ``white`` and ``pink``
    (``seconds`` long), and ``babble-1`` / ``babble-3``: placeholders whose talkers are drawn per
    utterance from other test speakers by :func:`make_mixtures`."""
    from . import noise
    from .datasets import hu_nonspeech

    signals, families = {}, {}
    for name, y in hu_nonspeech.load("test", sr, data_home).items():
        signals[name], families[name] = y, "hu-test"
    folder = noise.ensure_noise_recordings(data_home)
    for name, y in noise.load_noise_recordings(folder, sr).items():
        signals[f"sc/{name}"], families[f"sc/{name}"] = y, "speech-commands"
    rng = np.random.default_rng([seed, 5])
    for colour in ("white", "pink"):
        signals[colour], families[colour] = noise.coloured_noise(colour, int(seconds * sr), rng), "generated"
    for n in babble_talkers:
        signals[f"babble-{n}"], families[f"babble-{n}"] = np.zeros(0, np.float32), "talkers"
    return signals, families


@dataclasses.dataclass
class Mixtures:
    """Every benchmark mixture (chapter 6): one table row per mixture (``source, noise, family, snr_db,
    clip_id, speaker, text, index``) with ``clean`` and ``noisy`` signals in the same order."""

    table: pd.DataFrame
    clean: list[np.ndarray]
    noisy: list[np.ndarray]
    sr: int


def make_mixtures(speech: TestSpeech, noises: dict[str, np.ndarray], families: dict[str, str], *,
                  snrs: Sequence[float] = SNRS, clips: int = 6, seed: int = 0,
                  only: tuple[str, str] | None = None) -> Mixtures:
    """Mix ``clips`` utterances of each source with each noise at each SNR (chapter 6). The utterances of
    a (source, noise) cell and their noise excerpts are drawn once from ``seed`` and reused at every SNR.
    Babble for an utterance is made from sentences of *other* test speakers. ``only=(source, noise)``
    makes just that cell, with exactly the draws the full set has (chapter 6 replays a cell to listen)."""
    from .augment import sentence_babble
    from .noise import excerpt, mix_at_snr

    clips = check_number("clips", clips, minimum=1, integer=True)
    table = speech.table
    pool_rows = np.flatnonzero((table["source"] == "so-sentences").to_numpy())
    pool_speakers = list(table["speaker"].iloc[pool_rows])
    pool = None  # read only when a babble cell needs it
    rows, clean_out, noisy_out = [], [], []
    for s_index, source in enumerate(SOURCES):
        members = np.flatnonzero((table["source"] == source).to_numpy())
        if members.size == 0:
            continue
        for n_index, name in enumerate(sorted(noises)):
            if only is not None and (source, name) != tuple(only):
                continue
            rng = np.random.default_rng([seed, s_index, n_index])
            chosen = rng.choice(members, size=min(clips, members.size), replace=False)
            for i in chosen:
                clean = speech.signals[i]
                if name.startswith("babble-"):
                    if pool is None:
                        pool = [speech.signals[k] for k in pool_rows]
                    noise = sentence_babble(pool, pool_speakers, clean.size, int(name.split("-")[1]), rng,
                                            exclude_speaker=table["speaker"].iloc[i])
                else:
                    noise = excerpt(noises[name], clean.size, rng)
                for snr in snrs:
                    noisy, _ = mix_at_snr(clean, noise, float(snr))
                    rows.append({"source": source, "noise": name, "family": families[name], "snr_db": float(snr),
                                 "clip_id": table["clip_id"].iloc[i], "speaker": table["speaker"].iloc[i],
                                 "text": table["text"].iloc[i]})
                    clean_out.append(np.asarray(clean, np.float32))
                    noisy_out.append(noisy)
    out = pd.DataFrame(rows)
    out["index"] = np.arange(len(out))
    return Mixtures(out, clean_out, noisy_out, speech.sr)


# ---------------------------------------------------------------- methods on signals of any length
@dataclasses.dataclass
class SignalMethod:
    """A method for the benchmark (chapter 6): ``run(noisy_signals, clean_signals) -> estimates`` on lists
    of 1-D signals of any lengths; only oracles may look at the clean signals."""

    name: str
    family: str  # "book model", "classical", "peer", "oracle"
    run: Callable[[list[np.ndarray], list[np.ndarray]], list[np.ndarray]]
    version: str | None = None  # for a trained model: a hash of its weights (scores are cached under it)


def _padded(signals: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([s.size for s in signals])
    batch = np.zeros((len(signals), int(lengths.max())), np.float32)
    for i, s in enumerate(signals):
        batch[i, :s.size] = s
    return batch, lengths


def model_method(name: str, model, *, family: str = "book model", guard_db: tuple[float, float] | None = None
                 ) -> SignalMethod:
    """A trained denoiser as a benchmark method, each signal at its own length
    (:func:`training.denoise_signals`; chapter 6), with the ``denoise`` command's do-no-harm guard
    (:func:`inference.no_harm_guard`) when ``guard_db`` is given. Its ``version`` is a hash of its
    weights and the guard."""
    import hashlib

    from .inference import no_harm_guard
    from .training import denoise_signals

    digest = hashlib.sha1()
    for w in model.get_weights():
        digest.update(np.ascontiguousarray(w).tobytes())

    def run(noisy, clean):
        out = denoise_signals(model, noisy)
        return out if guard_db is None else [no_harm_guard(x, y, guard_db) for x, y in zip(noisy, out)]

    suffix = "" if guard_db is None else f"-guard{guard_db[0]:g}-{guard_db[1]:g}"
    return SignalMethod(name, family, run, version=f"{model.model_name}-{digest.hexdigest()[:16]}{suffix}")


def peer_methods(sr: int, cfg, *, peers: Sequence[str] = ("deepfilternet3",), oracles: bool = True
                 ) -> tuple[list[SignalMethod], dict[str, str]]:
    """noisereduce (stationary), the pretrained ``peers`` that can run here, and the oracle IRM and PSM
    (chapter 6). Returns ``(methods, {missing peer: reason})``."""
    from . import baselines

    methods = [SignalMethod("noisereduce (stationary)", "classical",
                            lambda noisy, clean: [baselines.spectral_gating(x, sr, stationary=True)[0] for x in noisy])]
    missing = {}
    for peer in peers:
        reason = baselines.peer_status(peer)
        if reason is not None:
            missing[peer] = reason
            continue
        label = {"deepfilternet3": "DeepFilterNet3", "rnnoise": "RNNoise"}[peer]

        def run(noisy, clean, p=peer):
            # streams of PEER_STREAM_SIGNALS utterances: one stream of a whole benchmark (over an hour of
            # 48 kHz audio) slows the peer down far more than in proportion
            out_all = []
            for start in range(0, len(noisy), PEER_STREAM_SIGNALS):
                batch, lengths = _padded(noisy[start:start + PEER_STREAM_SIGNALS])
                out = baselines.run_peer(p, batch, sr, lengths=lengths)
                out_all += [out[i, :n] for i, n in enumerate(lengths)]
            return out_all

        methods.append(SignalMethod(label, "peer", run))
    if oracles:
        methods += [
            SignalMethod("oracle IRM", "oracle",
                         lambda noisy, clean: [baselines.ideal_ratio_mask(c, x, cfg) for c, x in zip(clean, noisy)]),
            SignalMethod("oracle PSM", "oracle",
                         lambda noisy, clean: [baselines.phase_sensitive_mask(c, x, cfg) for c, x in zip(clean, noisy)]),
        ]
    return methods, missing


def _scores(c: np.ndarray, e: np.ndarray, sr: int, pesq: bool) -> dict[str, float]:
    from . import metrics

    row = {"si_sdr": metrics.si_sdr_db(c, e)}
    if pesq:
        row["pesq"] = metrics.pesq_score(c, e, sr)
    return row


def _score_table(clean: Sequence[np.ndarray], signals: Sequence[np.ndarray], sr: int, pesq: bool, estoi: bool,
                 workers: int = 2) -> pd.DataFrame:
    """SI-SDR, PESQ and ESTOI of each signal against its clean reference. ESTOI, most of the cost, is NumPy
    that releases the interpreter lock, so ``workers`` threads compute it (PESQ's C code holds the lock)."""
    from concurrent.futures import ThreadPoolExecutor

    from . import metrics

    table = pd.DataFrame([_scores(c, e, sr, pesq) for c, e in zip(clean, signals)])
    if estoi:
        def one(pair):
            c, e = pair
            return metrics.estoi_score(c, e, sr) if c.size >= 0.5 * sr else float("nan")

        with ThreadPoolExecutor(max(1, int(workers))) as pool:
            table["estoi"] = list(pool.map(one, zip(clean, signals)))
    return table


def score_signals(clean: Sequence[np.ndarray], estimates: Sequence[np.ndarray], noisy: Sequence[np.ndarray], sr: int,
                  *, pesq: bool = True, estoi: bool = True, inputs: pd.DataFrame | None = None,
                  workers: int = 2) -> pd.DataFrame:
    """Per signal: SI-SDR of the input and of the estimate and its improvement, and the same for PESQ
    and ESTOI (chapter 6). ESTOI is NaN for signals under 0.5 s (too short for its 384 ms segments)
    and PESQ is NaN where it finds no utterance; both are counted, not hidden. ``inputs`` (the input's
    own scores, columns ``si_sdr``, ``pesq``, ``estoi``) saves scoring the same mixtures again for every
    method; ``workers`` threads compute ESTOI."""
    for c, e in zip(clean, estimates):
        if e.shape != c.shape:
            raise ParameterError(f"an estimate has {e.size} samples for a {c.size}-sample clip.")
    if inputs is None:
        inputs = _score_table(clean, noisy, sr, pesq, estoi, workers)
    out = _score_table(clean, estimates, sr, pesq, estoi, workers)
    for column in list(out.columns):
        out[f"{column}_in"] = inputs[column].to_numpy()
    for m in ("si_sdr", "pesq", "estoi"):
        if m in out:
            out[f"{m}_improvement"] = out[m] - out[f"{m}_in"]
    return out


def _mixtures_key(mixtures: Mixtures, method: str, pesq: bool, estoi: bool) -> str:
    import hashlib

    digest = hashlib.sha1()
    digest.update(repr((method, pesq, estoi, mixtures.sr, len(mixtures.noisy))).encode())
    for x in mixtures.noisy:
        digest.update(np.ascontiguousarray(x, np.float32).tobytes())
    return digest.hexdigest()[:16]


def run_methods(methods: Sequence[SignalMethod], mixtures: Mixtures, *, pesq: bool = True, estoi: bool = True,
                progress=None, cache: bool = False) -> tuple[pd.DataFrame, dict[str, str], dict[str, float]]:
    """Run every method on every mixture and score it (chapter 6). Returns the per-mixture table (one row
    per method and mixture), ``{method: failure}`` for methods that raised, and the seconds each took.

    With ``cache`` the scores are stored in ``$DIGITDENOISE_CACHE/generalisation/`` under a hash of the
    exact mixtures and of the method (its name, or for a trained model the hash of its weights), and reused
    by a later run on the same mixtures: only a changed model is run again."""
    import time

    from .baselines import PeerUnavailable
    from .config import cache_dir

    tables, failures, seconds, inputs = [], {}, {}, None
    for method in methods:
        cacheable = cache and (method.family in ("classical", "peer", "oracle") or method.version is not None)
        key = method.version or method.name
        cached = (cache_dir() / "generalisation" / f"{_mixtures_key(mixtures, key, pesq, estoi)}.csv"
                  if cacheable else None)
        if cached is not None and cached.is_file():
            if progress:
                progress(f"{method.name}: scores reused from {cached.name}")
            scores, seconds[method.name] = pd.read_csv(cached), float("nan")
        else:
            if progress:
                progress(f"{method.name}: {len(mixtures.noisy)} mixtures")
            t0 = time.perf_counter()
            try:
                estimates = method.run(mixtures.noisy, mixtures.clean)
            except PeerUnavailable as exc:
                failures[method.name] = str(exc)
                continue
            seconds[method.name] = time.perf_counter() - t0
            if inputs is None:
                inputs = _score_table(mixtures.clean, mixtures.noisy, mixtures.sr, pesq, estoi)
            scores = score_signals(mixtures.clean, estimates, mixtures.noisy, mixtures.sr, pesq=pesq, estoi=estoi,
                                   inputs=inputs)
            if cached is not None:
                from ._io import write_text

                write_text(cached, scores.to_csv(index=False))
        tables.append(pd.concat([mixtures.table.reset_index(drop=True).assign(method=method.name,
                                                                                family_of_method=method.family),
                                 scores], axis=1))
    return pd.concat(tables, ignore_index=True), failures, seconds


def summarise(per_clip: pd.DataFrame, by: Sequence[str] = ("source", "family", "snr_db", "method"), *,
              n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per condition and method (chapter 6): clips, mean and 95% bootstrap CI of the SI-SDR, PESQ and
    ESTOI improvements, the share of clips the method made worse than its input (SI-SDR), PESQ/ESTOI
    failures, and the ratio of the mean SI-SDR improvement to the oracle IRM's in the same cell."""
    from .statistics import bootstrap_ci

    rows = []
    for key, group in per_clip.groupby(list(by), sort=True):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row["clips"] = int(len(group))
        for metric in ("si_sdr", "pesq", "estoi"):
            column = f"{metric}_improvement"
            if column not in group:
                continue
            mean, lo, hi = bootstrap_ci(group[column], n_boot=n_boot, seed=seed)
            row.update({f"{metric}i": mean, f"{metric}i_lo": lo, f"{metric}i_hi": hi,
                        f"{metric}_missing": int(group[column].isna().sum())})
        row["worse_than_input"] = float((group["si_sdr_improvement"] < 0).mean())
        rows.append(row)
    out = pd.DataFrame(rows)
    cell = [c for c in by if c != "method"]
    irm = out[out["method"] == "oracle IRM"].set_index(cell)["si_sdri"] if "oracle IRM" in set(out["method"]) else None
    if irm is not None:
        keys = list(out[cell].itertuples(index=False, name=None)) if len(cell) > 1 else list(out[cell[0]])
        out["ratio_to_irm"] = [r / irm.get(k, np.nan) if irm.get(k, np.nan) > 0 else np.nan
                               for r, k in zip(out["si_sdri"], keys)]
    return out


def check_bars(per_clip: pd.DataFrame, model: str, *, peers: Sequence[str] = ("DeepFilterNet3", "noisereduce (stationary)"),
               fsdd_white: dict | None = None, no_noise: dict | None = None) -> list[dict[str, Any]]:
    """The generalisation bars (chapter 6), each ``{"bar", "value", "target", "passed"}``:

    1. non-speech noises unseen in training, speechocean762 test speakers, 0 dB: mean SI-SDRi at least
       0.85 x the oracle IRM's, and at least every peer's on every one of those recordings;
    2. competing talkers (1 and 3), every source, +5 dB: mean SI-SDRi >= 0 and >= every peer's;
    3. the FSDD test speaker at -8 dB white noise: at least 1.00 x the IRM (``fsdd_white``, from
       :func:`evaluation.quality_bar`);
    4. apart from talkers at 0 dB and below, no cell where the model's mean is worse than the input;
    5. no added noise: word accuracy within 2 points of the input's, SI-SDR against the input >= 20 dB on
       FSDD (``no_noise``, from :func:`no_added_noise`)."""
    bars = []
    so = per_clip[per_clip["source"].isin(["so-digits", "so-sentences"]) & per_clip["family"].isin(NONSPEECH_FAMILIES)
                  & (per_clip["snr_db"] == 0.0)]
    if not so.empty:
        means = so.groupby("method")["si_sdr_improvement"].mean()
        ratio = means.get(model, np.nan) / means.get("oracle IRM", np.nan)
        bars.append({"bar": "unseen non-speech noise, speechocean762 test speakers, 0 dB: SI-SDRi / IRM",
                     "value": float(ratio), "target": ">= 0.85", "passed": bool(ratio >= 0.85)})
        per_noise = so.groupby(["noise", "method"])["si_sdr_improvement"].mean().unstack()
        for peer in peers:
            if peer in per_noise:
                losing = sorted(per_noise.index[per_noise[model] < per_noise[peer]])
                bars.append({"bar": f"... and >= {peer} on every one of those recordings",
                             "value": f"below on {len(losing)} of {len(per_noise)}" + (f" ({', '.join(losing)})" if losing else ""),
                             "target": "below on none", "passed": not losing})
    talk = per_clip[(per_clip["family"] == "talkers") & (per_clip["snr_db"] == 5.0)]
    for (source, noise), group in talk.groupby(["source", "noise"]):
        means = group.groupby("method")["si_sdr_improvement"].mean()
        best_peer = max((means.get(p, -np.inf) for p in peers), default=-np.inf)
        value = means.get(model, np.nan)
        bars.append({"bar": f"{noise}, {source}, +5 dB: SI-SDRi >= 0 and >= every peer",
                     "value": float(value), "target": f">= max(0, {best_peer:.2f})",
                     "passed": bool(value >= 0 and value >= best_peer)})
    if fsdd_white is not None:
        ratio = fsdd_white["ratio_model_to_irm"]
        bars.append({"bar": "FSDD test speaker, white noise, -8 dB: SI-SDRi / IRM", "value": float(ratio),
                     "target": ">= 1.00", "passed": bool(ratio >= 1.0)})
    cells = per_clip[(per_clip["method"] == model) & ~((per_clip["family"] == "talkers") & (per_clip["snr_db"] <= 0))]
    means = cells.groupby(["source", "noise", "snr_db"])["si_sdr_improvement"].mean()
    worse = means[means < 0]
    bars.append({"bar": "no cell (talkers at <= 0 dB aside) where the model's mean is worse than the input",
                 "value": f"{len(worse)} of {len(means)} cells worse" + (
                     f" (e.g. {', '.join(f'{s}/{n}/{d:+g} dB: {v:+.1f}' for (s, n, d), v in worse.sort_values().head(4).items())})"
                     if len(worse) else ""),
                 "target": "0 cells", "passed": bool(len(worse) == 0)})
    if no_noise is not None:
        model_row = no_noise["methods"].get(model, {})
        drop = no_noise["input_word_accuracy"] - model_row.get("word_accuracy", np.nan)
        bars.append({"bar": "no added noise: word accuracy drop against the 8 kHz input (points)",
                     "value": float(100 * drop), "target": "<= 2", "passed": bool(100 * drop <= 2)})
        fsdd = model_row.get("fsdd_si_sdr_vs_input_db", np.nan)
        bars.append({"bar": "no added noise: FSDD output's SI-SDR against the input (dB)", "value": float(fsdd),
                     "target": ">= 20", "passed": bool(fsdd >= 20)})
    return bars


def no_added_noise(methods: Sequence[SignalMethod], data_home=None, *, sr: int = 8000, fsdd_clips: int = 100,
                   seed: int = 0, recogniser=None) -> dict[str, Any]:
    """Recordings as they are, through every method (chapter 6): PocketSphinx word accuracy on the
    speechocean762 test digit strings (original 16 kHz, the 8 kHz input, each method's output) and the
    SI-SDR of each output against its input on FSDD test clips and on the digit strings. A denoiser that
    does no harm leaves both where the input was."""
    from . import data, metrics
    from .datasets import speechocean762
    from .recognition import SphinxDigits, word_accuracy

    recogniser = recogniser or SphinxDigits()
    so = speechocean762.load_utterances(data_home, splits=("test",), kind="digits")
    refs = [t.lower().split() for t in so["text"]]
    original = data.read_clips(so["path"])
    narrow = data.read_clips(so["path"], sr)
    fsdd = data.assign_split(data.load_clips("fsdd", data_home), seed=seed)
    fsdd = fsdd[fsdd["split"] == "test"]
    if len(fsdd) > fsdd_clips:
        fsdd = data.subsample(fsdd, max(1, fsdd_clips // fsdd["speaker"].nunique()), seed=seed)
    fsdd_audio = data.read_clips(fsdd["path"], sr)
    result: dict[str, Any] = {
        "utterances": int(len(so)), "speakers": int(so["speaker"].nunique()), "words": int(sum(map(len, refs))),
        "fsdd_clips": int(len(fsdd)),
        "original_word_accuracy": word_accuracy(refs, [recogniser.transcribe(y, speechocean762.SAMPLE_RATE)
                                                       for y in original]),
        "input_word_accuracy": word_accuracy(refs, [recogniser.transcribe(y, sr) for y in narrow]),
        "methods": {},
    }
    for method in methods:
        if method.family == "oracle":
            continue
        outputs = method.run(narrow, narrow)
        fsdd_out = method.run(fsdd_audio, fsdd_audio)
        result["methods"][method.name] = {
            "word_accuracy": word_accuracy(refs, [recogniser.transcribe(y, sr) for y in outputs]),
            "si_sdr_vs_input_db": float(np.mean([metrics.si_sdr_db(x, y) for x, y in zip(narrow, outputs)])),
            "fsdd_si_sdr_vs_input_db": float(np.mean([metrics.si_sdr_db(x, y) for x, y in zip(fsdd_audio, fsdd_out)])),
        }
    return result


def condition_table(summary: pd.DataFrame, methods: Sequence[str], metric: str = "si_sdri") -> pd.DataFrame:
    """Wide table for the book and the JSON (chapter 6): one row per (source, noise family, SNR), one
    column per method, ``mean [low, high]`` strings."""
    if summary.empty:
        raise DataError("no benchmark results to tabulate.")
    cells = summary.assign(cell=[f"{m:+.2f} [{lo:+.2f}, {hi:+.2f}]" for m, lo, hi in
                                 zip(summary[metric], summary[f"{metric}_lo"], summary[f"{metric}_hi"])])
    wide = cells.pivot_table(index=["source", "family", "snr_db"], columns="method", values="cell", aggfunc="first")
    return wide[[m for m in methods if m in wide.columns]]


from .generalisation_results import (RECORDED, Recorded, cell_means, compare_methods, load_recorded,  # noqa: E402,F401
                                     replay_cell, unseen_noise_cells, unseen_noise_means)
