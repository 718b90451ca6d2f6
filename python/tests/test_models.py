"""salvo.models (pybind11 bindings of hw/analog's neuron model) against analytic references."""
import os

import numpy as np
import pytest

if os.environ.get("SALVO_PYTHON_MODELS") == "OFF":
    pytest.skip("built without pybind11: no salvo.models", allow_module_level=True)

import salvo  # noqa: E402
from salvo import models  # noqa: E402


def quiet(**kw):
    p = models.NeuronParams()
    p.noise_v_rms_mV = 0.0
    for k, v in kw.items():
        setattr(p, k, v)
    return p


def test_lif_constant_current_isi_is_analytic():
    # V_inf = v_leak + I tau / C = 600 + 66 * 10 / 2.2 = 900 mV
    arr = models.NeuronArray([quiet(i_offset_nA=66.0)], dt_us=0.1, seed=1)
    t = arr.run(200).spikes["time_us"].to_numpy()
    first = 10 * np.log((900 - 600) / (900 - 800))           # from rest
    isi = 2.0 + 10 * np.log((900 - 620) / (900 - 800))        # t_ref + from reset
    assert t[0] == pytest.approx(first, rel=1e-9)
    np.testing.assert_allclose(np.diff(t), isi, rtol=1e-9)
    assert arr.now_us == pytest.approx(200.0)


def test_psp_of_one_input_jump_is_analytic():
    arr = models.NeuronArray([quiet()], dt_us=0.1, seed=1)
    m = arr.run(60, exc=([10.0], [0], [10.0]), record=[0]).membrane
    t = m["time_us"].to_numpy() - 10.0
    a, c, tm, ts = 10.0, 2.2, 10.0, 5.0
    ref = np.where(t > 0, a / c * tm * ts / (tm - ts) * (np.exp(-t / tm) - np.exp(-t / ts)), 0)
    np.testing.assert_allclose(m["v_0"].to_numpy() - 600.0, ref, atol=1e-9)


def test_chip_params_carry_the_configured_mismatch():
    mm = models.mismatch("reference", seed=2)
    assert len(mm) == salvo.info("reference")["neurons"] == 512
    # relative spreads from configs/chips/reference.yaml (0.2, 0.15, 0.1); σ of 512 draws
    # is within ±10 % of the configured value with probability > 0.99
    assert mm["tau_mem"].std() == pytest.approx(0.20, rel=0.1)
    assert mm["tau_syn_exc"].std() == pytest.approx(0.15, rel=0.1)
    assert mm["syn_gain_exc"].std() == pytest.approx(0.10, rel=0.1)
    assert mm["v_threshold_mV"].std() == pytest.approx(25.0, rel=0.1)
    ideal = models.mismatch("reference", seed=2, set={"chip.mismatch.scale": 0})
    assert (ideal["tau_mem"] == 1).all() and (ideal["v_threshold_mV"] == 0).all()


def test_chip_params_per_instance():
    a = models.params_frame(models.neuron_params("mini", seed=1))
    b = models.params_frame(models.neuron_params("mini", seed=1))
    c = models.params_frame(models.neuron_params("mini", seed=2))
    assert len(a) == 32
    assert a.equals(b) and not a["tau_mem_us"].equals(c["tau_mem_us"])
    # the threshold mismatch (25 mV) shows in the circuits' true thresholds
    assert 10 < a["v_threshold_mV"].std() < 45


def test_noise_is_reproducible_and_seeded():
    ps = models.neuron_params("mini", seed=1)
    runs = [models.NeuronArray(ps, 0.1, s).run(50, record=[3]).membrane["v_3"] for s in (1, 1, 2)]
    assert runs[0].equals(runs[1]) and not runs[0].equals(runs[2])


def test_array_interface_and_errors():
    arr = models.NeuronArray(4, dt_us=0.1, seed=1)
    assert len(arr) == 4 and arr.dt_us == pytest.approx(0.1)
    p = arr.params(2)
    p.i_offset_nA = 100.0
    arr.set_params(2, p)
    out = arr.run(50)
    assert set(out.spikes["neuron"]) == {2}
    arr.reset()
    assert arr.now_us == 0 and arr.v_mV(2) == pytest.approx(600.0)
    with pytest.raises(IndexError):
        arr.v_mV(4)
    with pytest.raises(ValueError, match="out of range"):
        arr.run(10, exc=([1.0], [7], [1.0]))
    with pytest.raises(salvo.SalvoConfigError):
        models.chip_config("mini", set={"chip.mismatch.scale": -1})
