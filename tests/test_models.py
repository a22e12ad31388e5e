import numpy as np
import pytest
import keras
import tensorflow as tf

from digitdenoise import features, models, networks, training
from digitdenoise.errors import DataError, ParameterError

CFG8 = features.FeatureConfig()
CFG16 = features.FeatureConfig.for_sample_rate(16000)


def test_seed_parameter_counts_match_the_seeds():
    fe = models.Frontend(CFG8)
    # the student report's summary table: 316,289 parameters (input channels = 1, 3x3 kernels)
    assert models.report_cae(fe.input_shape).count_params() == 316_289
    # the FSDD mel notebook's summary: 74,497 parameters
    assert models.mel_cnn((128, 16, 1)).count_params() == 74_497
    assert models.mel_cnn(fe.mel_input_shape).count_params() == 74_497
    # the U-Net README: three encoder blocks 32-64-128, decoder with skips, 1x1 output
    unet = models.seed_unet(fe.input_shape)
    widths = [l.filters for l in unet.layers if isinstance(l, tf.keras.layers.Conv2D) and l.kernel_size == (3, 3)]
    assert widths == [32, 32, 64, 64, 128, 128, 64, 64, 32, 32]
    assert unet.layers[-1].kernel_size == (1, 1)
    assert 470_000 < models.mask_unet(fe.input_shape).count_params() < 500_000


@pytest.mark.parametrize("cfg", [CFG8, CFG16], ids=["8k", "16k"])
@pytest.mark.parametrize("name", list(models.ZOO))
def test_every_model_maps_a_waveform_to_a_waveform(name, cfg):
    model = models.build_denoiser(name, cfg)
    x = np.random.default_rng(0).standard_normal((2, cfg.n_samples)).astype(np.float32) * 0.1
    y = model(x).numpy()
    assert y.shape == x.shape and np.isfinite(y).all()
    shape = models.Frontend(cfg).mel_input_shape if name == "mel_cnn" else models.Frontend(cfg).input_shape
    assert model.network.input_shape[1:] == shape


def test_tf_stft_matches_librosa_and_inverts():
    x = np.random.default_rng(1).standard_normal((3, CFG16.n_samples)).astype(np.float32) * 0.1
    spec = models.tf_stft(tf.constant(x), CFG16)
    assert np.allclose(np.transpose(spec.numpy(), (0, 2, 1)), features.stft(x, CFG16), atol=1e-5)
    assert np.abs(models.tf_istft(spec, CFG16, CFG16.n_samples).numpy() - x).max() < 1e-5


def test_best_model_starts_near_identity_and_mask_is_bounded():
    model = models.build_denoiser("mask_unet", CFG8)
    x = np.random.default_rng(2).standard_normal((1, CFG8.n_samples)).astype(np.float32) * 0.1
    y = model(x).numpy()
    assert np.corrcoef(x[0], y[0])[0, 1] > 0.999  # an untrained mask keeps the signal's shape
    assert np.linalg.norm(y) <= models.MASK_BOUND * np.linalg.norm(x) * 1.01


@pytest.mark.parametrize("kind", networks.DUAL_PATH_KINDS)
def test_a_dual_path_bottleneck_starts_as_the_plain_unet_it_grows_from(kind, tmp_path):
    plain = models.build_denoiser("mask_unet", CFG8, base=8, depth=3)
    for w in plain.network.trainable_weights:  # a "trained" plain network: weights that are not the initial ones
        w.assign(w + 0.05 * tf.random.stateless_normal(w.shape, seed=(1, 2)))
    grown = models.build_denoiser("mask_unet", CFG8, base=8, depth=3, dual_path=1, dual_path_units=8,
                                  dual_path_kind=kind)
    assert grown.network.count_params() > plain.network.count_params()
    x = np.random.default_rng(5).standard_normal((2, CFG8.n_samples)).astype(np.float32) * 0.1
    assert not np.allclose(plain(x).numpy(), grown(x).numpy(), atol=1e-4)  # before the transfer
    copied = models.transfer_weights(plain.network, grown.network)
    assert copied == len([layer for layer in plain.network.layers if layer.weights])
    assert np.allclose(plain(x).numpy(), grown(x).numpy(), atol=1e-5)  # the new blocks start as the identity
    training.save_denoiser(grown, tmp_path / "g")  # and it round-trips with its options
    loaded, info = training.load_denoiser(tmp_path / "g")
    assert np.allclose(grown(x).numpy(), loaded(x).numpy(), atol=1e-6)
    wider = models.build_denoiser("mask_unet", CFG8, base=12, depth=3)
    with pytest.raises(ParameterError, match="other shapes"):
        models.transfer_weights(plain.network, wider.network)
    deeper = models.build_denoiser("mask_unet", CFG8, base=8, depth=4)
    with pytest.raises(ParameterError, match="layers with weights against"):
        models.transfer_weights(plain.network, deeper.network)
    with pytest.raises(ParameterError, match="dual_path_kind='lstm'"):
        models.build_denoiser("mask_unet", CFG8, base=8, depth=3, dual_path=1, dual_path_kind="lstm")


def test_save_and_load_round_trip(tmp_path):
    model = models.build_denoiser("mel_cnn", CFG8)
    training.save_denoiser(model, tmp_path / "m")
    loaded, info = training.load_denoiser(tmp_path / "m")
    x = np.random.default_rng(3).standard_normal((2, CFG8.n_samples)).astype(np.float32) * 0.1
    assert np.allclose(model(x).numpy(), loaded(x).numpy(), atol=1e-6)
    assert info["model"] == "mel_cnn" and info["parameters"] == 74_497
    assert (tmp_path / "m" / "feature_config.json").is_file()


def test_model_errors(tmp_path):
    with pytest.raises(ParameterError, match="model='vae'"):
        models.zoo_entry("vae")
    with pytest.raises(DataError, match="no saved model"):
        training.load_denoiser(tmp_path)
    (tmp_path / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot be loaded"):
        training.load_denoiser(tmp_path)
    with pytest.raises(ParameterError, match="epochs"):
        training.TrainConfig(model="mel_cnn", epochs=-1)


@pytest.mark.parametrize("name", ["report_cae", "mel_cnn"])
def test_heads_reach_a_high_ceiling_with_the_clean_target(name, fsdd_table):
    """If the network output were the clean target, magnitude and mel heads must denoise well."""
    from digitdenoise import data, evaluation, noise

    table = fsdd_table.iloc[::150]
    clean, lengths = data.load_waveforms(table, 8000, CFG8.n_samples, cache=False)
    noisy = evaluation.eval_mixtures(clean, lengths, noise.NoiseSource(8000), "white", -8.0, seed=0)
    model = models.build_denoiser(name, CFG8)
    out = model.format_ceiling(noisy, clean)
    assert evaluation.si_sdr_table(clean, noisy, out, lengths)["si_sdr_improvement"].mean() > 10
    assert models.build_denoiser("mask_unet", CFG8).format_ceiling(noisy, clean) is None


# ---------------------------------------------------------------------------------------------- small_tcn
def test_small_model_fits_the_budget_and_the_release_models_conventions():
    """The small model (issue: <= 100,000 parameters) reads mask_unet's input image and writes an output
    of mask_unet's shape, and is trained like it (complex-mask head, SI-SDR loss, clipnorm 1.0)."""
    entry = models.zoo_entry("small_tcn")
    assert (entry.input_kind, entry.head, entry.loss, entry.clipnorm, entry.seed) == (
        "linear", "complex_mask", "si_sdr", 1.0, "this book")
    model = models.build_denoiser("small_tcn", CFG8)
    assert model.network.count_params() <= 100_000
    assert model.network.count_params() == 98_542
    release = models.build_denoiser("mask_unet", CFG8)
    _, image = model.frontend.features(tf.zeros((2, CFG8.n_samples)))
    assert model.network(image).shape == release.network(image).shape == (2, 128, image.shape[2], 2)
    with pytest.raises(ParameterError, match="multiple of 16"):
        models.small_tcn((120, None, 1))


def test_small_model_options_look_further_ahead_and_refine_at_full_resolution():
    """``lookahead`` moves the input earlier; ``refine`` adds a residual stage at full resolution (a causal
    2 frames x 3 bins convolution over the decoder output and the input image, a 1x1 convolution back):
    a few hundred parameters, one more frame of past reach, still under the budget. A misspelt option is a
    clear error naming the options."""
    from digitdenoise import streaming

    plain = models.small_tcn((128, None, 1))
    refined = models.small_tcn((128, None, 1), lookahead=12, refine=8)
    assert refined.count_params() - plain.count_params() == (2 * 3 * (8 + 1) * 8 + 8) + (8 * 8 + 8)
    assert refined.count_params() <= 100_000
    assert streaming.time_reach(refined) == streaming.TimeReach(context=117, lookahead=12, left=129, right=12, grid=1)
    model = models.build_denoiser("small_tcn", CFG8, lookahead=12, refine=8)
    assert model.get_config()["network_kwargs"] == {"lookahead": 12, "refine": 8}  # saved with the model
    with pytest.raises(ParameterError, match="refine=-1"):
        models.small_tcn((128, None, 1), refine=-1)
    centred = models.small_tcn((128, None, 1), lookahead=0, centred=5)  # the same weights, other padding
    assert [w.shape for w in centred.weights] == [w.shape for w in plain.weights]
    assert len(centred.layers) < len(plain.layers)  # no look-ahead shift ...
    assert models.transfer_weights(plain, centred) == len([layer for layer in plain.layers if layer.weights])
    assert all(np.array_equal(a, b) for a, b in zip(plain.get_weights(), centred.get_weights()))  # ... still one start
    with pytest.raises(ParameterError, match="centred=6: must be between 0 .* and 5"):
        models.small_tcn((128, None, 1), centred=6)
    with pytest.raises(ParameterError, match="no option lookahed.*lookahead, refine, centred"):
        models.check_network_kwargs("small_tcn", {"lookahed": 3})
    with pytest.raises(ParameterError, match="options are: none"):
        models.check_network_kwargs("report_cae", {"base": 8})


def test_a_refined_small_model_starts_as_the_causal_model_it_grows_from():
    """The refinement's 1x1 output starts at zero, so the causal model's weights give the refined network
    the same output (it fine-tunes from the committed checkpoint); the new layers are the only ones not
    copied, and they learn: after one step on a real-shaped batch the output moves."""
    keras.utils.set_random_seed(5)  # the new layers' random start, and so the size of the step's effect, is fixed
    plain = models.build_denoiser("small_tcn", CFG8)
    for w in plain.network.trainable_weights:  # "trained" weights that are not the initial ones
        w.assign(w + 0.05 * tf.random.stateless_normal(w.shape, seed=(3, 4)))
    refined = models.build_denoiser("small_tcn", CFG8, refine=8)
    copied = models.transfer_weights(plain.network, refined.network)
    assert copied == len([layer for layer in plain.network.layers if layer.weights])
    new = [layer.name for layer in refined.network.layers if layer.weights and layer.name.startswith("refine")]
    assert new == ["refine_conv", "refine_out"]
    x = np.random.default_rng(7).standard_normal((2, CFG8.n_samples)).astype(np.float32) * 0.1
    assert np.allclose(plain(x).numpy(), refined(x).numpy(), atol=1e-6)
    out = refined.network.get_layer("refine_out")
    out.kernel.assign(out.kernel + 0.1)  # what training does to the zero start
    assert np.abs(plain(x).numpy() - refined(x).numpy()).max() > 1e-3
    with pytest.raises(ParameterError, match="has no layers refine_conv, refine_out"):  # would drop them
        models.transfer_weights(refined.network, plain.network)
    again = models.build_denoiser("small_tcn", CFG8, refine=8)  # fine-tuning a refined model keeps it all
    assert models.transfer_weights(refined.network, again.network) == copied + 2
    assert np.allclose(refined(x).numpy(), again(x).numpy(), atol=1e-6)
    wider = models.build_denoiser("small_tcn", CFG8, refine=4)
    with pytest.raises(ParameterError, match="layer refine_conv has other shapes"):
        models.transfer_weights(refined.network, wider.network)


def test_small_model_denoises_a_real_fsdd_clip(data_home):
    """Through build_denoiser with the default features, a real recording of its own (not one-second)
    length keeps its length and stays finite, by the Keras call and by the denoise path; untrained, the
    zero-initialised mask layer leaves the signal as it is."""
    import soundfile as sf

    clean, sr = sf.read(data_home / "fsdd" / "recordings" / "7_jackson_3.wav", dtype="float32")
    assert sr == CFG8.sample_rate and clean.size != CFG8.n_samples
    noisy = (clean + 0.02 * np.random.default_rng(4).standard_normal(clean.size)).astype(np.float32)
    model = models.build_denoiser("small_tcn", CFG8)
    y = model(noisy[None]).numpy()[0]
    assert y.shape == noisy.shape and np.isfinite(y).all()
    assert np.corrcoef(noisy, y)[0, 1] > 0.999
    (z,) = training.denoise_signals(model, [noisy])
    assert z.shape == noisy.shape and np.isfinite(z).all()


def test_small_model_is_causal_up_to_its_lookahead():
    """Changing input frame j changes exactly output frames j - lookahead .. j - lookahead + 128 (4 frames
    of encoder context and 124 of the TCN): the time reach the streaming latency rests on."""
    net = models.small_tcn((128, None, 1))
    rng = np.random.default_rng(5)
    for w in net.trainable_weights:  # random weights: the zero-initialised output layer hides nothing
        w.assign(rng.normal(0.0, 0.3, w.shape).astype(np.float32))
    image = rng.uniform(0.0, 1.0, (1, 128, 200, 1)).astype(np.float32)
    base = net(image).numpy()
    for j in (10, 150):
        changed = image.copy()
        changed[0, :, j, 0] = rng.uniform(0.0, 1.0, 128)
        moved = np.flatnonzero(np.abs(net(changed).numpy() - base).max(axis=(0, 1, 3)) > 0)
        look = networks.SMALL_TCN_LOOKAHEAD
        assert (moved.min(), moved.max()) == (j - look, min(j - look + 128, 199))


def test_network_options_must_have_the_kind_of_their_default():
    models.check_network_kwargs("mask_unet", {"dual_path": 1, "dual_path_kind": "attention"})
    with pytest.raises(ParameterError, match="dual_path='two' is not a number"):
        models.check_network_kwargs("mask_unet", {"dual_path": "two"})
    with pytest.raises(ParameterError, match="dual_path_kind=3 is not a word"):
        models.check_network_kwargs("mask_unet", {"dual_path_kind": 3})
    with pytest.raises(ParameterError, match="has no option depht"):
        models.check_network_kwargs("mask_unet", {"depht": 3})
