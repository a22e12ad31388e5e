"""Training: determinism, kill-and-resume, and the saved artefacts. Small data, real clips."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from digitdenoise import data, features, noise, training

from conftest import ROOT

CFG = features.FeatureConfig(duration_s=0.5)


def _small(data_home, n_train=24, n_val=6):
    table = data.assign_split(data.load_clips("fsdd", data_home, download=False), seed=0)
    train = data.subsample(table[table["split"] == "train"], n_train // 4, seed=0)
    val = data.subsample(table[table["split"] == "validation"], n_val, seed=0)
    w, _ = data.load_waveforms(train, 8000, CFG.n_samples, cache=False)
    v, _ = data.load_waveforms(val, 8000, CFG.n_samples, cache=False)
    vn = np.stack([noise.mix_at_snr(c, noise.coloured_noise("pink", c.size, i), -5)[0] for i, c in enumerate(v)])
    return w, list(train["speaker"]), vn, v


# mask_unet's layers at a fraction of their width and depth: the same code path, a quicker graph to trace
SMALL_UNET = {"base": 4, "depth": 2}


def _train(data_home, out, model="minimal_cae", epochs=2, network=None):
    w, speakers, vn, v = _small(data_home)
    tcfg = training.TrainConfig(model=model, epochs=epochs, batch_size=8, seed=3, kinds=("white", "pink", "babble"),
                                network=network)
    return training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, out, speakers=speakers, verbose=0)


@pytest.fixture(scope="module")
def minimal_run(data_home, tmp_path_factory):
    """One two-epoch ``minimal_cae`` run (its folder and result), shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("minimal") / "run"
    return out, _train(data_home, out)


@pytest.fixture(scope="module")
def small_unet_run(data_home, tmp_path_factory):
    """One epoch of the book's U-Net at a fraction of its size, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("unet") / "run"
    return out, _train(data_home, out, model="mask_unet", epochs=1, network=SMALL_UNET)


def test_training_is_deterministic_and_saves_everything(data_home, tmp_path, minimal_run):
    folder, a = minimal_run
    b = _train(data_home, tmp_path / "b")
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        assert np.array_equal(wa, wb)
    for name in ("model.keras", "feature_config.json", "train_config.json", "history.csv", "checkpoint.keras"):
        assert (folder / name).is_file(), name
    history = pd.read_csv(folder / "history.csv")
    assert list(history["epoch"]) == [1, 2] and history["val_loss"].notna().all()
    info = json.loads((folder / "train_config.json").read_text())
    assert info["train_config"]["seed"] == 3 and info["model"] == "minimal_cae"


def test_best_model_trains_end_to_end_on_si_sdr(small_unet_run):
    _, result = small_unet_run
    assert len(result.history) == 1 and np.isfinite(result.history["loss"]).all()


def test_a_seed_can_train_on_the_waveform_si_sdr_loss_instead_of_its_own(data_home, tmp_path):
    w, speakers, vn, v = _small(data_home)
    tcfg = training.TrainConfig(model="minimal_cae", loss="si_sdr", epochs=1, batch_size=8, seed=3,
                                kinds=("white", "pink", "babble"))
    assert tcfg.loss_name == "si_sdr" and training.TrainConfig(model="minimal_cae").loss_name == "bce"
    result = training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, tmp_path / "r", speakers=speakers,
                                  verbose=0)
    # trained end to end: the validation loss is the negative SI-SDR of the denoised waveforms
    expected = float(np.mean(training.negative_si_sdr(v, result.model(vn)).numpy()))
    assert abs(float(result.history["val_loss"].iloc[0]) - expected) < 1e-3
    info = json.loads((tmp_path / "r" / "train_config.json").read_text())
    assert info["train_config"]["loss"] == "si_sdr" and info["model"] == "minimal_cae"
    # a run without the option keeps the fingerprint it had before the option existed
    assert "loss" not in training.TrainConfig(model="minimal_cae").to_dict()
    with pytest.raises(training.ParameterError, match="loss"):
        training.TrainConfig(model="report_cae", loss="l1")


def test_precise_batch_norm_sets_the_moving_statistics_to_the_average_over_the_batches():
    import keras

    inp = keras.Input((3,))
    net = keras.Model(inp, keras.layers.BatchNormalization(momentum=0.99)(keras.layers.Dense(3)(inp)))
    rng = np.random.default_rng(0)
    batches = [rng.normal(loc=5.0, size=(8, 3)).astype(np.float32) for _ in range(4)]
    hidden = keras.Model(inp, net.layers[1].output)
    outputs = [np.asarray(hidden(b)) for b in batches]
    bn = net.layers[2]
    assert training.recalibrate_batch_norm(net, batches) == 4
    np.testing.assert_allclose(bn.moving_mean.numpy(), np.mean([o.mean(axis=0) for o in outputs], axis=0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), np.mean([o.var(axis=0) for o in outputs], axis=0),
                               rtol=1e-4)
    assert bn.momentum == 0.99  # restored for training
    plain = keras.Model(inp, keras.layers.Dense(2)(inp))
    assert training.recalibrate_batch_norm(plain, batches) == 0


def test_precise_batch_norm_runs_in_the_trainer_and_records_both_scores(data_home, tmp_path):
    w, speakers, vn, v = _small(data_home)
    # the U-Net's layers at a fraction of their size: batch normalisation at every level, a quick graph
    tcfg = training.TrainConfig(model="mask_unet", network=SMALL_UNET, precise_bn_batches=2, epochs=1, batch_size=8,
                                seed=3, kinds=("white", "pink", "babble"))
    result = training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, tmp_path / "p", speakers=speakers,
                                  verbose=0)
    row = result.history.iloc[0]
    assert np.isfinite(row[training.VALIDATION_SCORE]) and np.isfinite(row[f"{training.VALIDATION_SCORE}_moving_average_bn"])
    # the recorded validation loss is the recalibrated model's
    expected = float(np.mean(training.negative_si_sdr(v, result.model(vn)).numpy()))
    assert abs(float(row["val_loss"]) - expected) < 1e-3
    assert "precise_bn_batches" not in training.TrainConfig(model="report_cae").to_dict()
    # the same re-estimation on a saved model, from a mixer of training pairs: in place, deterministic
    saved, _ = training.load_denoiser(tmp_path / "p")
    bn = [layer for layer in saved.network.layers if "batch_normalization" in layer.name][0]
    before = bn.moving_mean.numpy().copy()
    mixer = noise.OnTheFlyMixer(w, noise.NoiseSource(8000), kinds=("white", "pink"), seed=0)
    assert training.precise_batch_norm(saved, mixer, batches=2, batch_size=4) == 2
    after = bn.moving_mean.numpy().copy()
    assert not np.allclose(before, after)
    training.precise_batch_norm(saved, mixer, batches=2, batch_size=4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), after, rtol=1e-5, atol=1e-6)
    with pytest.raises(training.ParameterError, match="precise_bn_batches"):
        training.TrainConfig(model="report_cae", precise_bn_batches=-1)
    # chapter 5's question of an own-loss seed: its validation score with re-estimated statistics
    from types import SimpleNamespace

    from digitdenoise import evaluation, zoo

    prepared = SimpleNamespace(train_clean=w, source=noise.NoiseSource(8000), train_speakers=speakers,
                               val_noisy=vn, val_clean=v)
    score = zoo.score_with_precise_bn(tmp_path / "p", prepared, batches=2, batch_size=4)
    assert np.isfinite(score) and score == zoo.score_with_precise_bn(tmp_path / "p", prepared, batches=2, batch_size=4)
    untouched, _ = training.load_denoiser(tmp_path / "p")
    lengths = np.full(len(v), v.shape[-1])
    as_saved = evaluation.si_sdr_table(v, vn, training.denoise_batch(untouched, vn), lengths)["si_sdr_improvement"].mean()
    assert abs(score - as_saved) > 1e-4  # the statistics changed the output


def test_the_validation_score_counts_only_the_pairs_with_added_noise(data_home):
    from digitdenoise import models

    _, _, noisy, clean = _small(data_home)
    model = models.build_denoiser("mask_unet", CFG, **SMALL_UNET)
    rng = np.random.default_rng(1)
    for weights in model.network.weights:  # away from the identity mask, so the score is not zero anyway
        weights.assign(weights.numpy() + rng.normal(scale=0.05, size=weights.shape).astype(np.float32))
    alone = training.validation_si_sdr_improvement(model, noisy, clean)
    with_clean = training.validation_si_sdr_improvement(model, np.concatenate([noisy, clean[:2]]),
                                                        np.concatenate([clean, clean[:2]]))
    assert np.isfinite(alone) and abs(alone) > 0.01
    assert with_clean == pytest.approx(alone, abs=1e-6)  # the clean inputs neither add nor subtract
    assert np.isnan(training.validation_si_sdr_improvement(model, clean[:2], clean[:2]))


def test_network_options_are_part_of_a_runs_configuration():
    """Builder options (``--network``) are checked when the configuration is made, change its fingerprint
    (a run with other options cannot resume it) and are left out of older runs' saved configurations."""
    plain = training.TrainConfig(model="small_tcn")
    ahead = training.TrainConfig(model="small_tcn", network={"lookahead": 12})
    assert "network" not in plain.to_dict() and ahead.to_dict()["network"] == {"lookahead": 12}
    assert plain.fingerprint() != ahead.fingerprint()
    with pytest.raises(training.ParameterError, match="no option depth"):
        training.TrainConfig(model="small_tcn", network={"depth": 3})


def test_a_killed_run_resumes_to_the_same_result(data_home, tmp_path):
    reference = _train(data_home, tmp_path / "ref", epochs=3)
    script = f"""
import sys, time
sys.path.insert(0, {str(ROOT / 'tests')!r})
from digitdenoise import training
original = training.write_json
def slow_write(path, obj):
    original(path, obj)
    time.sleep(3)  # give the test time to kill us between epochs
training.write_json = slow_write
from test_training import _train
from pathlib import Path
_train(Path({str(data_home)!r}), Path({str(tmp_path / 'killed')!r}), epochs=3)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    state = tmp_path / "killed" / "state.json"
    deadline = time.time() + 240
    while time.time() < deadline and not state.is_file():
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert state.is_file(), "the background run never finished an epoch"
    assert json.loads(state.read_text())["epoch"] == 0  # killed after the first of three epochs
    assert not (tmp_path / "killed" / "model.keras").exists()
    resumed = _train(data_home, tmp_path / "killed", epochs=3)
    assert resumed.resumed_from == 1 and len(resumed.history) == 3
    for wa, wb in zip(reference.model.get_weights(), resumed.model.get_weights()):
        assert np.allclose(wa, wb, atol=1e-5)


def test_resuming_with_another_configuration_is_refused(data_home, minimal_run):
    folder, _ = minimal_run
    state = (folder / "state.json").read_text()
    w, speakers, vn, v = _small(data_home)
    other = training.TrainConfig(model="minimal_cae", epochs=2, batch_size=4, seed=3)
    with pytest.raises(training.ParameterError, match="different configuration"):
        training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, other, folder, verbose=0)
    assert (folder / "state.json").read_text() == state  # the run it refused is untouched


def test_train_or_reuse_reuses_only_the_same_configuration(data_home, tmp_path):
    w, speakers, vn, v = _small(data_home)
    prepared = training.TrainingData(CFG, None, w, speakers, noise.NoiseSource(8000), {}, vn, v, ["pink"])
    tcfg = training.TrainConfig(model="minimal_cae", epochs=1, batch_size=8, seed=3, kinds=("white",))
    first, _, reused = training.train_or_reuse(prepared, tcfg, tmp_path / "m", verbose=0, echo=lambda *_: None)
    assert not reused
    again, _, reused = training.train_or_reuse(prepared, tcfg, tmp_path / "m", verbose=0, echo=lambda *_: None)
    assert reused
    for a, b in zip(first.get_weights(), again.get_weights()):
        assert np.array_equal(a, b)
    other = training.TrainConfig(model="minimal_cae", epochs=1, batch_size=8, seed=4, kinds=("white",))
    _, history, reused = training.train_or_reuse(prepared, other, tmp_path / "m", verbose=0, echo=lambda *_: None)
    assert not reused and len(history) == 1


def test_training_input_errors_name_the_problem(data_home, tmp_path):
    w, speakers, vn, v = _small(data_home)
    tcfg = training.TrainConfig(model="minimal_cae", epochs=1, batch_size=8)
    src = noise.NoiseSource(8000)
    with pytest.raises(training.ParameterError, match=r"training clips must be \(n, 4000\)"):
        training.train_model(w[:, :100], src, vn, v, CFG, tcfg, tmp_path / "a", verbose=0)
    with pytest.raises(training.ParameterError, match="validation pairs must both be"):
        training.train_model(w, src, vn[:, :100], v, CFG, tcfg, tmp_path / "b", verbose=0)
    with pytest.raises(training.DataError, match="validation split is empty"):
        training.train_model(w, src, vn[:0], v[:0], CFG, tcfg, tmp_path / "c", verbose=0)
    with pytest.raises(training.ParameterError, match="none of the training noise kinds"):
        training.train_model(w, src, vn, v, CFG, training.TrainConfig(model="minimal_cae", kinds=("babble",)),
                             tmp_path / "d", verbose=0)


def test_cli_train_rejects_an_unknown_model(tmp_path, capsys, data_home):
    from digitdenoise import cli

    assert cli.main(["--data-home", str(data_home), "train", "--model", "vae", "--out", str(tmp_path)]) == 2
    assert "model='vae' is not in the zoo" in capsys.readouterr().err


def test_fine_tuning_starts_from_saved_weights_and_refuses_another_model(data_home, tmp_path, minimal_run):
    folder, first = minimal_run
    w, speakers, vn, v = _small(data_home)
    tcfg = training.TrainConfig(model="minimal_cae", epochs=1, batch_size=8, seed=3, kinds=("white", "pink", "babble"),
                                learning_rate=1e-7, init_from=str(folder))
    tuned = training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, tmp_path / "tuned", speakers=speakers,
                                 verbose=0, echo=lambda *a: None)
    # at a negligible learning rate one epoch leaves the starting weights (almost) where they were
    for wa, wb in zip(first.model.network.get_weights(), tuned.model.network.get_weights()):
        assert np.allclose(wa, wb, atol=1e-3)
    other = training.TrainConfig(model="mel_cnn", epochs=1, batch_size=8, init_from=str(folder))
    with pytest.raises(training.ParameterError, match="fine-tuning needs the same model"):
        training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, other, tmp_path / "bad", speakers=speakers, verbose=0)
    with pytest.raises(training.ParameterError, match="snr_range"):
        training.TrainConfig(model="mask_unet", snr_range=(5.0, -5.0))


def test_a_specialist_is_validated_on_its_own_noise_only(data_home, tmp_path, capsys):
    from digitdenoise import cli

    white = training.prepare_data("fsdd", data_home, clips_per_speaker=8, max_val_clips=12, kinds=["white"])
    assert white.val_kinds == ["white"] and len(white.val_noisy) == len(white.val_clean) > 0
    mixed = training.prepare_data("fsdd", data_home, clips_per_speaker=8, max_val_clips=12)
    assert {"white", "pink", "babble"} <= set(mixed.val_kinds)
    recordings = training.prepare_data("fsdd", data_home, clips_per_speaker=8, max_val_clips=12, kinds=["recording"])
    assert recordings.val_kinds and not {"white", "pink", "brown", "babble"} & set(recordings.val_kinds)
    # the same validation clean clips, and the white clips get the same noise draw as in the mixed set
    assert np.array_equal(white.val_clean, mixed.val_clean)
    assert np.array_equal(white.val_noisy[0], mixed.val_noisy[0])
    with pytest.raises(training.ParameterError, match="noise kinds \\['violet'\\]"):
        training.prepare_data("fsdd", data_home, kinds=["violet"])
    assert cli.main(["--data-home", str(data_home), "train", "--noise-kinds", "violet", "--out", str(tmp_path)]) == 2
    assert "choose one or more of white, pink, brown, recording, babble" in capsys.readouterr().err


def test_speed_perturbed_copies_join_the_training_set(data_home, tmp_path):
    w, speakers, vn, v = _small(data_home)
    tcfg = training.TrainConfig(model="minimal_cae", epochs=1, batch_size=8, seed=3, kinds=("white", "babble"),
                                speed_factors=(0.9, 1.1))
    assert tcfg.to_dict()["speed_factors"] == [0.9, 1.1]
    assert "speed_factors" not in training.TrainConfig(model="mask_unet").to_dict()  # older saved configurations still match
    result = training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, tmp_path / "sp", speakers=speakers,
                                  verbose=0, echo=lambda *a: None)
    assert len(result.history) == 1 and np.isfinite(result.history["loss"]).all()
    with pytest.raises(training.ParameterError, match="speed factor"):
        training.TrainConfig(model="mask_unet", speed_factors=(3.0,))


def test_weight_averaging_keeps_the_running_mean_of_the_epochs_and_resumes(data_home, tmp_path):
    import keras

    w, speakers, vn, v = _small(data_home)

    def run(out, epochs):
        tcfg = training.TrainConfig(model="minimal_cae", epochs=epochs, batch_size=8, seed=3, kinds=("white", "pink"),
                                    average_weights=True, patience=5)
        return training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, out, speakers=speakers,
                                    verbose=0, echo=lambda *a: None)

    assert "average_weights" not in training.TrainConfig(model="mask_unet").to_dict()  # older configurations match
    run(tmp_path / "one", 1)
    first = keras.models.load_model(tmp_path / "one" / "checkpoint.keras").get_weights()
    both = run(tmp_path / "two", 2)
    second = keras.models.load_model(tmp_path / "two" / "checkpoint.keras").get_weights()
    average = keras.models.load_model(tmp_path / "two" / "average.keras").get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(first, second))  # the epochs moved the weights
    for a, b, m in zip(first, second, average):
        assert np.allclose(m, (a + b) / 2, atol=1e-6)
    history = both.history
    assert np.isclose(history["val_loss_average"][0], history["val_loss"][0], rtol=1e-4)  # a mean of one epoch
    info = json.loads((tmp_path / "two" / "train_config.json").read_text())
    winner = "mean of epochs 1-2" if history["val_loss_average"][1] < min(history["val_loss"]) else None
    assert info["best_epoch"] == (winner or int(history["val_loss"].idxmin()) + 1)
    # stopped after one epoch and started again: the same average as the uninterrupted run
    run(tmp_path / "one", 2)
    resumed = keras.models.load_model(tmp_path / "one" / "average.keras").get_weights()
    for a, b in zip(average, resumed):
        assert np.allclose(a, b, atol=1e-5)


def test_the_recipe_options_reject_bad_values_by_name(capsys, tmp_path):
    from digitdenoise import cli

    with pytest.raises(training.ParameterError, match="lr_patience"):
        training.TrainConfig(model="mask_unet", lr_patience=0)
    assert cli.main(["train", "--clips-per-epoch", "0", "--out", str(tmp_path / "x")]) == 2
    assert "clips_per_epoch" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_capped_si_sdr_loss_equals_the_plain_loss_below_the_cap_and_saturates_above():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    clean = rng.standard_normal((2, 4000)).astype(np.float32)
    noisy = clean + 0.3 * rng.standard_normal((2, 4000)).astype(np.float32)  # about 10 dB
    capped = training.CappedNegativeSiSdr(30.0)
    plain = training.negative_si_sdr(tf.constant(clean), tf.constant(noisy)).numpy()
    assert abs(float(capped(clean, noisy)) - plain.mean()) < 0.05
    assert abs(float(capped(clean, clean)) + 30.0) < 0.01  # a perfect estimate scores the cap, not +inf
    restored = training.CappedNegativeSiSdr.from_config(capped.get_config())
    assert restored.cap_db == 30.0


def test_a_mixer_replaces_the_fsdd_noise_source(data_home, tmp_path):
    from digitdenoise import augment

    w, speakers, vn, v = _small(data_home)
    rng = np.random.default_rng(0)
    with pytest.raises(Exception, match="babble pool has 4 speakers"):
        augment.GeneralMixer(w, speakers, {"hu/x": rng.standard_normal(8000).astype(np.float32)}, list(w), speakers,
                             8000)
    recipe = augment.Recipe(babble_talkers=(1, 3))
    mixer = augment.GeneralMixer(w, speakers, {"hu/x": rng.standard_normal(8000).astype(np.float32)},
                                 list(w), speakers, 8000, seed=2, recipe=recipe)
    tcfg = training.TrainConfig(model="mask_unet", epochs=1, batch_size=8, seed=3, sdr_cap_db=30.0, network=SMALL_UNET,
                                recipe={"name": "general", **mixer.recipe.to_dict()})
    result = training.train_model(w, None, vn, v, CFG, tcfg, tmp_path / "g", verbose=0, mixer=mixer)
    info = json.loads((tmp_path / "g" / "train_config.json").read_text())
    assert info["train_config"]["recipe"]["name"] == "general" and info["train_config"]["sdr_cap_db"] == 30.0
    assert np.isfinite(result.history["val_loss"]).all()
    short = augment.GeneralMixer(w[:, :1000], speakers, {"hu/x": rng.standard_normal(8000).astype(np.float32)},
                                 list(w), speakers, 8000, recipe=recipe)
    with pytest.raises(Exception, match="mixer's windows"):
        training.train_model(w, None, vn, v, CFG, tcfg, tmp_path / "h", verbose=0, mixer=short)
    with pytest.raises(Exception, match="sdr_cap_db applies to the SI-SDR loss"):
        training.train_model(w, noise.NoiseSource(8000), vn, v, CFG,
                             training.TrainConfig(model="minimal_cae", epochs=1, sdr_cap_db=30.0, kinds=("white",)),
                             tmp_path / "i", speakers=speakers, verbose=0)


def test_distillation_loss_weighs_the_clean_and_the_teacher_target():
    rng = np.random.default_rng(1)
    clean = rng.standard_normal((3, 4000)).astype(np.float32)
    teacher = clean + 0.2 * rng.standard_normal((3, 4000)).astype(np.float32)
    estimate = clean + 0.5 * rng.standard_normal((3, 4000)).astype(np.float32)
    capped = training.CappedNegativeSiSdr(30.0)
    on_clean, on_teacher = float(capped(clean, estimate)), float(capped(teacher, estimate))
    assert abs(on_clean - on_teacher) > 0.5  # the two targets score the estimate differently
    both = np.stack([clean, teacher], axis=-1)
    for weight in (0.0, 0.3, 1.0):
        loss = float(training.DistillationLoss(weight, 30.0)(both, estimate))
        assert abs(loss - ((1 - weight) * on_clean + weight * on_teacher)) < 1e-3, weight
    # validation passes the clean clip twice: the plain loss, whatever the weight
    assert abs(float(training.DistillationLoss(0.7, 30.0)(np.stack([clean, clean], -1), estimate)) - on_clean) < 1e-3
    uncapped = training.DistillationLoss(0.0, None)
    assert abs(float(uncapped(both, estimate)) - float(np.mean(training.negative_si_sdr(clean, estimate)))) < 1e-3
    restored = training.DistillationLoss.from_config(training.DistillationLoss(0.25, 20.0).get_config())
    assert (restored.weight, restored.cap_db) == (0.25, 20.0)


def test_a_student_trains_towards_its_teachers_output(data_home, tmp_path, small_unet_run):
    teacher_dir, teacher = small_unet_run
    w, speakers, vn, v = _small(data_home)

    def run(out, **kw):
        tcfg = training.TrainConfig(model="mask_unet", epochs=1, batch_size=8, seed=3, network=SMALL_UNET,
                                    kinds=("white", "pink", "babble"), **kw)
        return training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, out, speakers=speakers, verbose=0,
                                    echo=lambda *a: None)

    plain = teacher  # the teacher's own run had the same seed, data, start and configuration, no teacher
    student = run(tmp_path / "student", teacher=str(teacher_dir), teacher_weight=1.0)
    # same seed, data and start: only the target differs, so the training loss does too
    assert abs(student.history["loss"].iloc[0] - plain.history["loss"].iloc[0]) > 1e-3
    # the recorded configuration names the teacher; a run without one records neither field
    saved = json.loads((tmp_path / "student" / "train_config.json").read_text())["train_config"]
    assert saved["teacher"] == str(teacher_dir) and saved["teacher_weight"] == 1.0
    assert "teacher_weight" not in json.loads((teacher_dir / "train_config.json").read_text())["train_config"]
    # validation still scores against the clean clips: the validation SI-SDR improvement is the usual one
    assert np.isfinite(student.history[training.VALIDATION_SCORE]).all()
    with pytest.raises(training.ParameterError, match="needs a model trained end to end on the waveform"):
        training.TrainConfig(model="minimal_cae", teacher=str(teacher_dir))
    with pytest.raises(training.ParameterError, match="teacher_weight"):
        training.TrainConfig(model="mask_unet", teacher=str(teacher_dir), teacher_weight=1.5)
    other = features.FeatureConfig(duration_s=1.0)
    tcfg = training.TrainConfig(model="mask_unet", epochs=1, network=SMALL_UNET, teacher=str(teacher_dir))
    long_clips = np.zeros((8, other.n_samples), np.float32)
    with pytest.raises(training.ParameterError, match="trained on other features"):
        training.train_model(long_clips, noise.NoiseSource(8000), long_clips[:2], long_clips[:2], other, tcfg,
                             tmp_path / "bad", verbose=0)


def test_a_model_trains_and_is_scored_at_16_khz_on_the_audiomnist_sample(data_home, tmp_path, sample_table):
    """The path of the full profile (AudioMNIST at 16 kHz), end to end on the sample's real clips: 16 kHz
    features, a seed model trained and reloaded at that rate, and chapter 6's scoring with wide-band PESQ."""
    from digitdenoise import evaluation, metrics

    cfg = features.FeatureConfig.for_sample_rate(16000, duration_s=0.5)
    assert (cfg.n_fft, cfg.hop_length) == (512, 128)
    clean, _ = data.load_waveforms(sample_table, 16000, cfg.n_samples, cache=False)
    val_clean = clean[:2]
    val_noisy = np.stack([noise.mix_at_snr(c, noise.coloured_noise("pink", c.size, i), 0)[0]
                          for i, c in enumerate(val_clean)])
    tcfg = training.TrainConfig(model="minimal_cae", epochs=1, batch_size=4, seed=0, kinds=("white", "pink"))
    training.train_model(clean, noise.NoiseSource(16000), val_noisy, val_clean, cfg, tcfg, tmp_path / "m",
                         speakers=list(sample_table["speaker"]), verbose=0)
    model, _ = training.load_denoiser(tmp_path / "m")
    assert model.cfg.sample_rate == 16000 and model.cfg.n_fft == 512
    methods, _ = evaluation.standard_methods(cfg, {"minimal_cae": model}, peers=[], classical=False)
    lengths = np.full(len(val_clean), cfg.n_samples)
    table, _ = evaluation.evaluate_methods(methods, val_clean, val_noisy, lengths, sample_table.iloc[:2], 16000)
    assert set(table["method"]) == {"noisy input", "minimal_cae", "oracle IRM", "oracle PSM"}
    assert metrics.pesq_mode(16000) == "wb"
    oracle = table[table["method"] == "oracle IRM"]
    assert np.isfinite(oracle["pesq"]).all() and (oracle["pesq"] > oracle["pesq_in"]).all()
    assert np.isfinite(table["si_sdr_improvement"]).all()


def _committed_like(folder):
    """Leave only what git keeps of a finished run (as on a fresh clone): no checkpoint, state or best."""
    for name in ("state.json", "checkpoint.keras", "best.keras", "average.keras"):
        (folder / name).unlink(missing_ok=True)


def test_a_finished_run_without_its_checkpoint_is_extended_from_its_kept_weights(data_home, tmp_path, monkeypatch):
    import shutil

    started_from, transfer = [], training.models.transfer_weights

    def spy(source, target):
        started_from.append([x.copy() for x in source.get_weights()])
        transfer(source, target)

    monkeypatch.setattr(training.models, "transfer_weights", spy)

    w, speakers, vn, v = _small(data_home)
    folder = tmp_path / "run"
    messages = []

    def run(epochs, extend=True, **changes):
        tcfg = training.TrainConfig(**{"model": "minimal_cae", "epochs": epochs, "batch_size": 8, "seed": 3,
                                       "kinds": ("white", "pink", "babble"), "patience": 5, **changes})
        return training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, folder, speakers=speakers,
                                    verbose=0, echo=messages.append, extend=extend)

    first = run(2, extend=False)
    before = json.loads((folder / "train_config.json").read_text())
    _committed_like(folder)
    shutil.copytree(folder, tmp_path / "copy")
    longer = run(3)
    assert longer.resumed_from == 2 and len(longer.history) == 3
    assert any("extending minimal_cae after epoch 2" in m for m in messages)
    pd.testing.assert_frame_equal(longer.history.iloc[:2], first.history, check_exact=True)
    recorded = (tmp_path / "copy" / "history.csv").read_text().splitlines()
    assert (folder / "history.csv").read_text().splitlines()[:3] == recorded  # the recorded epochs, to the digit
    info = json.loads((folder / "train_config.json").read_text())
    assert info["extensions"] == [{"after_epoch": 2, "seconds_before": round(before["train_seconds"], 1)}]
    assert info["train_seconds"] > before["train_seconds"]  # the seconds are cumulative
    assert info["train_config"]["epochs"] == 3
    # the third epoch started from the weights the run had kept, not from random ones
    assert len(started_from) == 1
    for a, b in zip(started_from[0], first.model.network.get_weights()):
        assert np.array_equal(a, b)

    assert info["epochs_run"] == 3

    def files():
        return {p.name: p.read_bytes() for p in folder.iterdir()}

    # nothing left to train, with its checkpoint still there or without it: returned as it is, nothing written
    kept_files = files()
    same = run(3, extend=False)
    assert len(same.history) == 3 and files() == kept_files and "raise --epochs" in messages[-1]
    _committed_like(folder)
    kept_files = files()
    same = run(3)
    assert len(same.history) == 3 and files() == kept_files and "raise --epochs" in messages[-1]

    # another configuration is refused
    with pytest.raises(training.ParameterError, match="different configuration"):
        run(4, batch_size=4)
    # a history that is not the saved run's (an extension killed after its checkpoint was lost, or one
    # edited by hand) does not replay
    tcfg = training.TrainConfig(model="minimal_cae", epochs=9, batch_size=8, seed=3, kinds=("white", "pink", "babble"),
                                patience=5)
    history = pd.read_csv(folder / "history.csv")
    pd.concat([history, history.tail(1).assign(epoch=4)]).to_csv(tmp_path / "copy" / "history.csv", index=False)
    with pytest.raises(training.DataError, match="holds 4 epochs, not the 2 epochs the run saved"):
        training.recorded_state(tmp_path / "copy", tcfg)
    history.assign(learning_rate=[1e-3, 5e-4, 1e-3]).head(2).to_csv(tmp_path / "copy" / "history.csv", index=False)
    with pytest.raises(training.DataError, match="does not replay"):
        training.recorded_state(tmp_path / "copy", tcfg)
    (tmp_path / "copy" / "history.csv").unlink()
    with pytest.raises(training.DataError, match="missing history.csv"):
        training.recorded_state(tmp_path / "copy", tcfg)

    # a checkpoint older than the run recorded beside it is not resumed over it
    shutil.copytree(folder, tmp_path / "stale")
    (tmp_path / "stale" / "history.csv").write_text((folder / "history.csv").read_text()
                                                    + (folder / "history.csv").read_text().splitlines()[-1] + "\n")
    shutil.copy(tmp_path / "copy" / "model.keras", tmp_path / "stale" / "checkpoint.keras")
    (tmp_path / "stale" / "state.json").write_text(json.dumps({**training.recorded_state(folder, tcfg), "epoch": 1,
                                                               "history": history.head(2).to_dict("records")}))
    stale = (tmp_path / "stale" / "history.csv").read_text()
    with pytest.raises(training.ParameterError, match="checkpoint .* is older than the run recorded"):
        training.train_model(w, noise.NoiseSource(8000), vn, v, CFG, tcfg, tmp_path / "stale", speakers=speakers,
                             verbose=0, echo=messages.append)
    assert (tmp_path / "stale" / "history.csv").read_text() == stale


def test_the_committed_seed_models_replay_to_the_epoch_they_kept():
    # recorded_state raises where a history does not replay: its learning rates, its kept epoch and its
    # length must all follow from the run's own rules and record
    from digitdenoise import zoo

    folders = [*zoo.release_zoo().values(), *zoo.book_loss_runs().values()]
    assert len(folders) >= 5
    for folder in folders:
        saved = json.loads((folder / "train_config.json").read_text())
        tcfg = training.TrainConfig(**{k: tuple(v) if isinstance(v, list) else v
                                       for k, v in saved["train_config"].items()})
        state = training.recorded_state(folder, tcfg)
        assert state["best_epoch"] == saved["best_epoch"], folder
        assert len(state["history"]) == len(pd.read_csv(folder / "history.csv"))
        if saved["stopped"] == "early stopping":
            assert state["wait"] >= tcfg.patience, folder  # the replay agrees with why the run stopped


def test_cli_extend_leaves_a_committed_run_that_stopped_early_untouched(data_home, tmp_path, capsys):
    import shutil

    from digitdenoise import cli

    committed = ROOT / "models" / "release" / "zoo" / "minimal_cae"
    if not (committed / "model.keras").is_file():
        pytest.skip("the committed seed models are not in this checkout")
    folder = tmp_path / "minimal_cae"
    shutil.copytree(committed, folder, ignore=shutil.ignore_patterns("checkpoint.keras", "state.json", "best.keras"))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    args = ["--data-home", str(data_home), "train", "--model", "minimal_cae", "--dataset", "fsdd", "--epochs", "200",
            "--clips-per-epoch", "2000", "--patience", "6", "--lr-patience", "3", "--time-budget", "3600",
            "--extend", "--out", str(folder)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "is not extended: it stopped early" in out and "nothing trained" in out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    patience = args.index("--patience") + 1
    assert cli.main(args[:patience] + ["8"] + args[patience + 1:]) == 2  # another patience: another run
    assert "holds a run with a different configuration" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_run_that_cannot_be_replayed_is_refused_by_name(tmp_path):
    tcfg = training.TrainConfig(model="minimal_cae", average_weights=True)
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "model.keras").write_bytes(b"")
    (folder / "train_config.json").write_text(json.dumps({"train_config": tcfg.to_dict(), "best_epoch": 1,
                                                          "train_seconds": 10.0}))
    pd.DataFrame({"epoch": [1], "val_loss": [0.5], "learning_rate": [1e-3]}).to_csv(folder / "history.csv", index=False)
    with pytest.raises(training.ParameterError, match="weight-averaged run cannot be extended"):
        training.recorded_state(folder, tcfg)
    plain = training.TrainConfig(model="minimal_cae")
    (folder / "train_config.json").write_text(json.dumps({"train_config": plain.to_dict(), "best_epoch": 1,
                                                          "train_seconds": 10.0}))
    pd.DataFrame({"epoch": [1], "val_loss": [0.5]}).to_csv(folder / "history.csv", index=False)
    with pytest.raises(training.DataError, match=r"history.csv has no column learning_rate"):
        training.recorded_state(folder, plain)
    pd.DataFrame({"epoch": [1], "val_loss": [0.5], "learning_rate": [plain.lr]}).to_csv(folder / "history.csv",
                                                                                          index=False)
    assert training.recorded_state(folder, plain)["best_epoch"] == 1  # the same files, replayable
