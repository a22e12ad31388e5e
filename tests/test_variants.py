"""The small model's recorded variants (appendix 9), read from the committed benchmark results."""
import json

import pytest
from conftest import ROOT

from digitdenoise import features, generalisation, models, variants
from digitdenoise.errors import DataError

CFG8 = features.FeatureConfig()
RESULTS = str(ROOT / "bench" / "results" / "generalisation-small-{}.json")


def test_variant_labels_name_only_what_differs_from_the_causal_model():
    assert variants.variant_label({"centred": 0, "lookahead": 2}) == "control"
    assert variants.variant_label({}) == "control"
    assert variants.variant_label({"centred": 3, "lookahead": 0}) == "centred=3"
    assert variants.variant_label({"refine": 8}) == "refine=8"
    assert variants.variant_label({"lookahead": 12}) == "lookahead=12"
    # a run trained towards a teacher's output is not the control, whatever its options
    assert variants.variant_label({"centred": 0, "lookahead": 2}, "models/release/general-mask_unet") == "distilled"
    assert variants.variant_label({"centred": 5, "lookahead": 0}, "t") == "centred=5 distilled"


def test_recorded_variants_have_their_latency_from_the_layers_and_their_gain_from_the_run(tmp_path):
    files = [RESULTS.format(v) for v in ("centred0", "centred3", "centred5", "refine8")] + [str(tmp_path / "x.json")]
    runs = variants.variant_runs(files, CFG8)
    assert list(runs["label"]) == ["control", "centred=3", "centred=5", "refine=8"]  # the missing file is skipped
    # look-ahead 2 * (1 + 2 + 4) = 14 and 2 * 31 = 62 frames; latency = L * hop + n_fft samples at 8 kHz;
    # the refinement looks one frame further back, not ahead
    assert list(runs["lookahead_frames"]) == [2, 14, 62, 2]
    assert runs["latency_ms"].round(3).tolist() == [48.0, 144.0, 528.0, 48.0]
    assert list(runs["refine"]) == [0, 0, 0, 8] and list(runs["centred"]) == [0, 3, 5, 0]
    for run in runs.itertuples():  # the gain is the two models' difference on the same mixtures
        means = generalisation.unseen_noise_means(generalisation.load_recorded(run.file))
        assert run.gain_db == pytest.approx(means["release model"] - means["previous release model"])
        assert run.train_minutes == pytest.approx(json.load(open(run.file))["model"]["train_seconds"] / 60)
    for run in runs.itertuples():  # epochs: recorded by the benchmark, or the setting where that ended the run
        model = json.load(open(run.file))["model"]
        expected = model.get("epochs_trained") or (model["train_config"]["epochs"] if model["stopped"] == "epochs"
                                                   else None)
        assert (run.epochs != run.epochs) if expected is None else run.epochs == expected  # NaN: unknown
    assert (runs["teacher"] == "").all()
    assert runs["causal_db"].nunique() == 1  # every run scored the same causal model on the same mixtures
    worth = variants.own_worth(runs)
    assert list(worth.index) == ["centred=3", "centred=5", "refine=8"]
    assert worth["centred=5"] == pytest.approx(runs["gain_db"].iloc[2] - runs["gain_db"].iloc[0])
    assert variants.own_worth(runs[~runs["control"]]).empty  # no control, no own worth


def test_a_run_that_is_not_a_small_model_variant_is_a_clear_error():
    with pytest.raises(DataError, match="not a small-model variant run.*make small-variants"):
        variants.variant_runs([ROOT / "bench" / "results" / "generalisation.json"], CFG8)


def test_the_small_model_sees_each_frame_as_its_bottleneck_vector():
    width = variants.bottleneck_width(models.small_tcn((128, None, 1)))
    assert width == {"bands": 8, "channels": 16, "features": 128}
    assert variants.bottleneck_width(models.small_tcn((128, None, 1), channels=(8, 8, 8, 24)))["features"] == 8 * 24
    with pytest.raises(DataError, match="no per-frame feature vector"):
        variants.bottleneck_width(models.mask_unet((128, None, 1), base=4, depth=2))


def test_a_variant_is_compared_with_the_control_noise_by_noise():
    runs = variants.variant_runs([RESULTS.format(v) for v in ("centred0", "refine8")], CFG8)
    diff = variants.per_noise_against_control(runs, "refine=8")
    assert diff.is_monotonic_increasing and diff.index.str.match(r"(hu|sc)/").all() and len(diff) == 26
    # weighted by clips like the unseen-noise mean, so the per-noise differences average to the runs' difference
    clips = generalisation.load_recorded(RESULTS.format("refine8")).by_noise
    clips = clips[clips["source"].isin(["so-digits", "so-sentences"]) & clips["noise"].isin(diff.index)
                  & (clips["snr_db"] == 0) & (clips["method"] == "release model")].groupby("noise")["clips"].sum()
    assert (diff * clips[diff.index]).sum() / clips.sum() == pytest.approx(runs["unseen_db"].iloc[1] - runs["unseen_db"].iloc[0])
    with pytest.raises(DataError, match="need both the control run"):
        variants.per_noise_against_control(runs[~runs["control"]], "refine=8")


def test_a_checkpoint_names_the_variant_recipe_that_made_it(tmp_path):
    release = ROOT / "models" / "release"
    assert variants.made_as(release / "general-small_tcn") == "control"  # stage 2: stage 1 fine-tuned unchanged
    assert variants.made_as(release / "general-small_tcn-stage1") is None  # trained from scratch
    assert variants.made_as(tmp_path) is None  # no train_config.json
    runs = variants.variant_runs([RESULTS.format(v) for v in ("centred0", "distil")], CFG8)
    recorded = json.load(open(RESULTS.format("distil")))["model"]["train_config"]["teacher_weight"]
    assert variants.teacher_weight(runs) == recorded and variants.teacher_weight(runs[runs["control"]]) is None
