"""Run a network: on the FPGA through pynq (``NeuralNetworkOverlay``) or in software (``SoftwareOverlay``).

Both stream any number of samples in chunks, check what they are given, and report per-batch timings.
"""

from __future__ import annotations

import abc
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BoardError, DMATimeoutError
from ._csim import CSimLibrary
from ._csim_probe import measure_widths
from .interface import DEFAULT_DMA, StreamInterface
from .manifest import read_interface_next_to
from .profiles import BoardProfile, get_profile

__all__ = [
    "BatchStats",
    "BoardError",
    "DMATimeoutError",
    "NeuralNetworkOverlay",
    "SoftwareOverlay",
    "plan_chunk",
    "DMA_MAX_BYTES",
    "CMA_BYTES",
    "DEFAULT_CMA_BUDGET",
]

# The default board's (PYNQ-Z2's) limits under their old names; each board's own are in hlsnb.board.profiles.
_DEFAULT_PROFILE = get_profile()
# one simple-mode AXI DMA transfer moves at most 2**26 - 1 bytes (hls4ml's c_sg_length_width 26)
DMA_MAX_BYTES = _DEFAULT_PROFILE.dma_max_bytes
# all live pynq.allocate buffers on a PYNQ-Z2 image share 128 MiB of CMA
CMA_BYTES = _DEFAULT_PROFILE.cma_bytes
# our two buffers take at most this much by default, leaving the rest to other users of CMA
DEFAULT_CMA_BUDGET = _DEFAULT_PROFILE.cma_budget


@dataclass
class BatchStats:
    """Timings of one ``predict`` call, taken with ``time.perf_counter`` (monotonic).

    ``seconds`` covers the whole call (checks, encode, transfers, decode); ``chunk_seconds`` the transfer
    (or simulation) of each chunk; ``source`` says what was timed: the FPGA, an emulated device, or the C
    simulation on the host CPU (then the numbers say nothing about the FPGA).
    """

    n_samples: int
    n_chunks: int
    chunk_samples: int
    seconds: float
    chunk_seconds: list = field(default_factory=list)
    input_overflow: int = 0
    output_overflow: "int | None" = None
    source: str = ""

    @property
    def throughput(self) -> float:
        """Samples per second over the whole call."""
        return self.n_samples / self.seconds if self.seconds > 0 else float("inf")

    @property
    def chunk_latency_s(self) -> float:
        """Mean seconds per chunk round trip (buffer in -> buffer out)."""
        return float(np.mean(self.chunk_seconds)) if self.chunk_seconds else 0.0

    def __str__(self) -> str:
        over = f", {self.input_overflow} input values out of range" if self.input_overflow else ""
        if self.output_overflow:
            over += f", {self.output_overflow} output values out of range"
        return (
            f"{self.n_samples} samples in {self.seconds * 1e3:.2f} ms ({self.throughput:,.0f} samples/s, "
            f"{self.n_chunks} chunk(s) of <= {self.chunk_samples}, {self.chunk_latency_s * 1e3:.3f} ms per chunk)"
            f"{over} [{self.source}]"
        )


def plan_chunk(
    interface: StreamInterface,
    dma_max_bytes: int = DMA_MAX_BYTES,
    cma_budget: int = DEFAULT_CMA_BUDGET,
    max_chunk_samples: "int | None" = None,
) -> int:
    """Samples per DMA transfer: the largest count whose input and output both fit one transfer
    (``dma_max_bytes``) and whose two buffers together fit ``cma_budget`` bytes."""
    per_in, per_out = interface.input_bytes_per_sample, interface.output_bytes_per_sample
    k = min(dma_max_bytes // per_in, dma_max_bytes // per_out, cma_budget // (per_in + per_out))
    if max_chunk_samples is not None:
        if int(max_chunk_samples) < 1:
            raise ValueError(f"max_chunk_samples must be >= 1; got {max_chunk_samples}")
        k = min(k, int(max_chunk_samples))
    if k < 1:
        raise ValueError(
            f"one sample needs {per_in} + {per_out} bytes, more than the DMA limit ({dma_max_bytes} bytes) "
            f"or the CMA budget ({cma_budget} bytes)"
        )
    return int(k)


class _StreamOverlay(abc.ABC):
    """Shared part: input checks, encode, chunking, decode, statistics, buffer lifetime."""

    source = ""

    def __init__(self, interface: StreamInterface, cma_budget: "int | None", max_chunk_samples: "int | None",
                 board: "str | BoardProfile | None" = None, dma_max_bytes: "int | None" = None):
        self.profile = get_profile(board)
        if cma_budget is None:
            cma_budget = self.profile.cma_budget
        if dma_max_bytes is None:
            dma_max_bytes = self.profile.dma_max_bytes
        if isinstance(interface, dict):
            interface = StreamInterface.from_dict(interface)
        if not isinstance(interface, StreamInterface):
            raise TypeError(f"interface must be a StreamInterface or dict; got {type(interface).__name__}")
        self.interface = interface
        self.chunk_samples = plan_chunk(interface, dma_max_bytes, cma_budget, max_chunk_samples)
        self.last_stats: "BatchStats | None" = None
        self.history: list = []
        self.closed = False

    # -- checks -------------------------------------------------------------------------------------------
    def _check_input(self, X) -> np.ndarray:
        if self.closed:
            raise BoardError(f"{type(self).__name__} is closed; create a new one")
        X = np.asarray(X)
        if X.dtype == bool or X.dtype.kind not in "fiu":
            raise TypeError(
                f"X has dtype {X.dtype}; expected real numbers (float32/float64 or integers) for a "
                f"{self.interface.input_type} stream"
            )
        shp = self.interface.input_shape
        if X.ndim == len(shp) + 1 and tuple(X.shape[1:]) == shp:
            pass
        elif X.ndim == 2 and X.shape[1] == self.interface.n_in:
            pass  # flattened samples are what the stream carries anyway
        else:
            hint = " (one sample? use X[None])" if tuple(X.shape) == shp else ""
            raise ValueError(
                f"X has shape {X.shape}; the bitstream expects (n_samples, {', '.join(map(str, shp))})"
                f"{hint}"
            )
        if X.shape[0] == 0:
            raise ValueError("X is an empty batch (0 samples); nothing to run")
        return X.reshape(X.shape[0], self.interface.n_in)

    # -- the loop -------------------------------------------------------------------------------------------
    def predict(self, X, debug: bool = False, profile: bool = False, encode=None, decode=None):
        """Outputs for every sample of ``X`` (shape ``(n, *input_shape)``), as a new array.

        Streams ``X`` in chunks of at most ``chunk_samples``. Values outside the input type's range are
        saturated (or wrapped) as the type says, with a warning; NaN raises ``ValueError``.
        Timings go to ``last_stats`` (and ``history``).

        The call of hls4ml's generated driver (``axi_stream_driver.py``, hls4ml-tutorial part 7b) works unchanged:
        ``profile=True`` prints ``Classified N samples in S seconds (R inferences / s)`` and returns
        ``(y, seconds, inferences_per_second)``, where ``seconds`` is the wall time of the whole call (encode,
        transfers, decode; ``time.perf_counter``, not ``datetime``) and the rate ``N / seconds``. The printed line
        says what was timed (:attr:`source`): measured on the FPGA, or simulated off the board (C simulation,
        emulated device), whose times say nothing about the FPGA. ``debug=True`` prints each chunk's transfer.
        ``encode`` / ``decode``: hls4ml's hooks, applied to ``X`` before and to the outputs after (hlsnb already
        converts to and from the stream's fixed-point words, so most callers leave them out).
        """
        t0 = time.perf_counter()
        if encode is not None:
            X = encode(X)
        X = self._check_input(X)
        n = X.shape[0]
        iface = self.interface
        words_in, n_over = iface.input_word.encode(X, "input")
        if n_over:
            warnings.warn(
                f"{n_over} input value(s) lie outside the range of {iface.input_type}; "
                f"they were {_overflow_verb(iface.input_word)}",
                stacklevel=2,
            )
        words_out = np.empty((n, iface.n_out), dtype=iface.output_word.dtype)
        chunk_seconds, out_over = [], 0
        try:
            for start in range(0, n, self.chunk_samples):
                stop = min(n, start + self.chunk_samples)
                tc = time.perf_counter()
                got, over = self._run_chunk(words_in[start:stop])
                chunk_seconds.append(time.perf_counter() - tc)
                if debug:
                    print(f"Transfer OK: samples {start}-{stop - 1} in {chunk_seconds[-1] * 1e3:.3f} ms")
                words_out[start:stop] = got
                out_over = None if over is None or out_over is None else out_over + over
        except BaseException:  # also on KeyboardInterrupt: a half-done transfer must not keep the DMA or the CMA
            self._on_failure()
            raise
        y = iface.output_word.decode(words_out).reshape((n,) + iface.output_shape)
        if decode is not None:
            y = decode(y)
        self.last_stats = BatchStats(
            n_samples=n,
            n_chunks=len(chunk_seconds),
            chunk_samples=self.chunk_samples,
            seconds=time.perf_counter() - t0,
            chunk_seconds=chunk_seconds,
            input_overflow=n_over,
            output_overflow=out_over,
            source=self.source,
        )
        self.history.append(self.last_stats)
        if profile:
            st = self.last_stats
            print(f"Classified {n} samples in {st.seconds:.6f} seconds ({st.throughput:,.1f} inferences / s) "
                  f"[{self.timing}]")
            return y, st.seconds, st.throughput
        return y

    @property
    def measured_on_board(self) -> bool:
        """True when :meth:`predict` times the FPGA itself (pynq on a board), False for a simulation off-board."""
        return self.source == NeuralNetworkOverlay.source

    @property
    def timing(self) -> str:
        """What ``predict``'s times are: ``measured on the board: ...`` or ``simulated off-board: ...``."""
        return f"{'measured on the board' if self.measured_on_board else 'simulated off-board'}: {self.source}"

    @abc.abstractmethod
    def _run_chunk(self, words: np.ndarray):  # -> (output words, output overflow count or None)
        """Send one chunk of encoded input words through the network; return (output words, overflow count)."""

    def _on_failure(self):
        """Called when a chunk fails: free what can be freed."""
        self.close()

    def close(self):
        """Free the buffers. Idempotent; ``predict`` afterwards raises."""
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110  (at interpreter exit pynq may be torn down: nothing to free then)
            pass


def _overflow_verb(word) -> str:
    if word.fixed is None:
        return "turned into inf by the float conversion"
    return {
        "AP_WRAP": "wrapped around (AP_WRAP; use AP_SAT in the interface type to saturate instead)",
        "AP_SAT": "saturated (AP_SAT)",
        "AP_SAT_ZERO": "set to zero (AP_SAT_ZERO)",
        "AP_SAT_SYM": "saturated symmetrically (AP_SAT_SYM)",
    }[word.fixed.saturation]


class SoftwareOverlay(_StreamOverlay):
    """The same API as :class:`NeuralNetworkOverlay`, computed by hls4ml's bit-accurate C simulation.

    Parameters
    ----------
    library : path of ``firmware/<project>-<stamp>.so`` (``hls_model.compile()`` builds it).
    interface : :class:`StreamInterface` (or its dict) describing the stream words.
    cma_budget, max_chunk_samples : chunking, as on the board (so behaviour and statistics match); the CMA budget
        defaults to the board profile's.
    board : board name or :class:`~hlsnb.board.profiles.BoardProfile` whose DMA and CMA limits size the chunks
        (default: the PYNQ-Z2).

    With a float stream this returns exactly what ``hls_model.predict(X.astype(np.float32))`` returns.
    With ``ap_fixed`` stream types the inputs are first quantised to the input stream type and the outputs to
    the output stream type, as the AXI wrapper on the FPGA does.
    """

    source = "C simulation on this CPU (not FPGA timing)"

    def __init__(self, library, interface, *, cma_budget: "int | None" = None,
                 max_chunk_samples: "int | None" = None, board: "str | BoardProfile | None" = None):
        super().__init__(interface, cma_budget, max_chunk_samples, board)
        self.library_path = Path(library)
        self._csim = CSimLibrary.for_interface(self.library_path, self.interface)
        self._check_widths()

    def _check_widths(self):
        """Refuse an interface whose widths are not the library's: ctypes would read and write past the buffers."""
        iface = self.interface
        got = measure_widths(self.library_path, iface.project_name, iface.n_in, iface.n_out)
        if got is None:
            warnings.warn(f"could not measure the input/output widths of {self.library_path.name} here; the "
                          "interface is trusted as given", stacklevel=3)
            return
        if got != (iface.n_in, iface.n_out):
            def say(n):
                return "more than 4194304" if n < 0 else str(n)

            raise BoardError(
                f"the interface does not match the C simulation library {self.library_path.name}: the interface "
                f"says {iface.n_in} input and {iface.n_out} output values per sample (input_shape "
                f"{iface.input_shape}, output_shape {iface.output_shape}), the library reads {say(got[0])} and writes "
                f"{say(got[1])}; use the interface of the model this library was compiled from "
                "(StreamInterface.from_hls4ml(hls_model))"
            )

    def _run_chunk(self, words):
        return run_stream_words(self._csim, self.interface, words)

    def _on_failure(self):
        pass  # nothing to free: a failed software chunk leaves the overlay usable


def run_stream_words(csim: CSimLibrary, iface: StreamInterface, words: np.ndarray):
    """What the AXI-wrapped IP does to a block of input words: (output words, output overflow count).

    The wrapper casts each input word to the network's input type and each result to the output word type.
    The C simulation's ``_double`` entry performs the first cast from the exact decoded value; the second cast
    is ``encode`` with the output type's own rounding and overflow modes. A float output uses ``_float``, whose
    C++ ``result_t -> float`` cast is the one the wrapper performs.
    """
    x = iface.input_word.decode(words)
    if iface.output_word.fixed is None and iface.output_word.dtype == np.float32:
        y = csim.run(np.asarray(x, dtype=np.float32))
        return y, 0
    y = csim.run(np.asarray(x, dtype=np.float64))
    return iface.output_word.encode(y, "output")


class NeuralNetworkOverlay(_StreamOverlay):
    """The hls4ml VivadoAccelerator design (AXI DMA + IP) on a PYNQ board, driven through ``pynq``.

    Parameters
    ----------
    bitfile : path of the ``.bit``; the ``.hwh`` with the same stem must sit next to it.
    interface : :class:`StreamInterface` or dict; ``None`` reads it from the bundle ``manifest.json`` next to
        the bitfile.
    dtbo, download, ignore_version, device : passed to ``pynq.Overlay`` unchanged.
    dma : path of the AXI DMA in the block design (hls4ml: ``hier_0/axi_dma_0``).
    timeout : seconds one chunk may take before :class:`DMATimeoutError` (the DMA is reset, buffers freed).
    cma_budget : bytes the two DMA buffers may take together (default: the board profile's; the PYNQ-Z2 has
        128 MiB CMA for everyone and hlsnb takes 32 MiB of it).
    max_chunk_samples : cap on samples per transfer (default: as many as the DMA length and CMA budget allow).
    board : board name or :class:`~hlsnb.board.profiles.BoardProfile` (default: the PYNQ-Z2); the DMA driver's own
        ``buffer_max_size`` overrides the profile's transfer limit.
    """

    source = "FPGA (pynq, measured)"

    def __init__(self, bitfile, interface=None, *, dtbo=None, download=True, ignore_version=False, device=None,
                 dma: str = DEFAULT_DMA, timeout: float = 10.0, cma_budget: "int | None" = None,
                 max_chunk_samples: "int | None" = None, board: "str | BoardProfile | None" = None):
        self.closed = True  # until the buffers exist, close() has nothing to do
        self._inbuf = self._outbuf = None
        profile = get_profile(board)  # an unknown board fails here, before pynq touches anything
        bitfile = Path(bitfile).resolve()
        if not bitfile.is_file():
            raise FileNotFoundError(f"bitstream {bitfile} does not exist")
        hwh = bitfile.with_suffix(".hwh")
        if not hwh.is_file():
            raise FileNotFoundError(
                f"{hwh.name} is missing: pynq needs the .hwh with the same stem next to {bitfile.name} "
                "(Vivado writes it under <project>.gen/.../hw_handoff/ or .srcs/.../hw_handoff/)"
            )
        if interface is None:
            interface = read_interface_next_to(bitfile)
        if not timeout or timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds; got {timeout!r}")
        self.timeout = float(timeout)
        try:
            import pynq
        except ImportError as e:
            raise ImportError(
                "NeuralNetworkOverlay needs the pynq package (on the board image); off-board use "
                "SoftwareOverlay or hlsnb.board.load_bundle(...).overlay()"
            ) from e
        self._pynq = pynq
        self.bitfile = bitfile
        # Open without programming, check the design against the interface, then program: a mismatched
        # .bit/.hwh never reaches the fabric.
        self.overlay = pynq.Overlay(str(bitfile), dtbo=dtbo, download=False, ignore_version=ignore_version,
                                    device=device)
        self.device = self.overlay.device
        if getattr(self.device, "emulated", False):
            self.source = "emulated PYNQ device: C simulation behind a register-level DMA model (not FPGA timing)"
        iface = interface if isinstance(interface, StreamInterface) else StreamInterface.from_dict(interface)
        self.dma_path = dma or iface.dma
        self._check_dma(iface)  # from the metadata alone: no driver touches the fabric yet
        if download:
            self.overlay.download()
        self.dma = self._bind_dma(self.dma_path)  # pynq's DMA driver starts both channels
        dma_max = int(getattr(self.dma, "buffer_max_size", profile.dma_max_bytes))  # 2**c_sg_length_width - 1
        super().__init__(iface, cma_budget, max_chunk_samples, profile, dma_max_bytes=dma_max)
        self._rows = 0

    # -- construction checks ---------------------------------------------------------------------------------
    def _bind_dma(self, path):
        obj = self.overlay
        for part in path.split("/"):
            obj = getattr(obj, part)
        if getattr(obj, "sendchannel", None) is None or getattr(obj, "recvchannel", None) is None:
            raise BoardError(f"DMA {path!r} lacks a send or receive channel (c_include_mm2s / c_include_s2mm)")
        return obj

    def _check_dma(self, iface):
        ip_dict = self.overlay.ip_dict
        if self.dma_path not in ip_dict:
            dmas = sorted(k for k, v in ip_dict.items() if "axi_dma" in str(v.get("type", "")))
            raise BoardError(
                f"{self.bitfile.with_suffix('.hwh').name} has no AXI DMA at {self.dma_path!r} (DMAs found: "
                f"{dmas or 'none'}): the .hwh does not belong to an hls4ml VivadoAccelerator design, or pass dma="
            )
        p = ip_dict[self.dma_path].get("parameters", {})
        for key in ("c_include_mm2s", "c_include_s2mm"):
            if str(p.get(key, "1")) == "0":
                raise BoardError(f"DMA {self.dma_path!r} has {key} = 0: it needs both a send and a receive channel")
        if str(p.get("c_include_sg", "0")) not in ("0", ""):
            raise BoardError(f"DMA {self.dma_path!r} is in scatter-gather mode; hls4ml's design uses simple mode")
        for side, key, word in (("input", "c_m_axis_mm2s_tdata_width", iface.input_word),
                                ("output", "c_s_axis_s2mm_tdata_width", iface.output_word)):
            if key in p and int(p[key]) != word.bits:
                raise BoardError(
                    f"the bitstream's DMA streams {p[key]}-bit {side} words but the interface says {side} type "
                    f"{word.text} ({word.bits} bits): this .hwh/.bit was built for another interface "
                    "(hls4ml's pynq-z2 tcl swaps the input and output widths when they differ)"
                )

    # -- buffers ------------------------------------------------------------------------------------------------
    def _ensure_buffers(self, rows):
        if self._inbuf is not None and self._rows >= rows:
            return
        self._free_buffers()
        rows = min(self.chunk_samples, max(rows, self._rows))
        iface = self.interface
        alloc = self._pynq.allocate
        try:
            self._inbuf = alloc(shape=(rows, iface.n_in), dtype=iface.input_word.dtype, target=self.device)
            self._outbuf = alloc(shape=(rows, iface.n_out), dtype=iface.output_word.dtype, target=self.device)
        except (RuntimeError, MemoryError, OSError, ValueError) as e:  # how pynq versions report a full CMA
            self._free_buffers()
            need = rows * (iface.input_bytes_per_sample + iface.output_bytes_per_sample)
            raise BoardError(
                f"could not allocate {need} bytes of contiguous (CMA) memory for {rows}-sample DMA buffers: {e}. "
                "Free other pynq buffers or pass a smaller cma_budget= / max_chunk_samples="
            ) from e
        self._rows = rows

    def _free_buffers(self):
        for name in ("_inbuf", "_outbuf"):
            buf = getattr(self, name, None)
            if buf is not None:
                setattr(self, name, None)
                if hasattr(buf, "freebuffer"):
                    buf.freebuffer()
                else:  # older pynq
                    buf.close()
        self._rows = 0

    def close(self):
        """Free the DMA buffers (idempotent). The bitstream stays loaded."""
        self._free_buffers()
        self.closed = True

    # -- one chunk ------------------------------------------------------------------------------------------------
    def _run_chunk(self, words):
        k = len(words)
        self._ensure_buffers(k)
        iface = self.interface
        nin, nout = k * iface.input_bytes_per_sample, k * iface.output_bytes_per_sample
        self._inbuf[:k] = words
        send, recv = self.dma.sendchannel, self.dma.recvchannel
        # Arm the receiver first so the IP never stalls on a full output stream.
        recv.transfer(self._outbuf, 0, nout)
        send.transfer(self._inbuf, 0, nin)
        deadline = time.perf_counter() + self.timeout
        self._wait(send, deadline, "send (MM2S)")
        self._wait(recv, deadline, "receive (S2MM)")
        got = getattr(recv, "transferred", None)  # S2MM LENGTH after completion: bytes actually written
        if got is not None and int(got) != nout:
            raise BoardError(
                f"the IP returned {got} bytes for {k} samples, expected {nout} "
                f"({iface.n_out} x {iface.output_word.bits}-bit words each): the bitstream does not match the interface"
            )
        return np.array(self._outbuf[:k], copy=True), None

    def _wait(self, channel, deadline, what):
        spins = 0
        while True:
            if channel.error or channel.idle:
                channel.wait()  # returns at once when idle; raises pynq's own message on a DMA error
                return
            if time.perf_counter() > deadline:
                raise DMATimeoutError(
                    f"DMA {what} did not complete within {self.timeout:g} s: the IP is not answering. Is this "
                    f"the bitstream built for this model, was it downloaded (download=False skips that), does "
                    f"the IP's clock run? The DMA was reset and the buffers freed."
                )
            spins += 1
            if spins > 1000:
                time.sleep(1e-4)

    def _on_failure(self):
        # A failed chunk leaves the DMA in an unknown state: reset it and give the CMA back; the next
        # predict allocates again.
        self._reset_dma()
        self._free_buffers()

    def _reset_dma(self):
        """Soft-reset the DMA (PG021: MM2S_DMACR bit 2 resets both channels) and restart both channels."""
        mmio = getattr(self.dma, "mmio", None)
        if mmio is None:
            return
        try:
            mmio.write(0x00, 0x4)
            t_end = time.perf_counter() + 1.0
            while mmio.read(0x00) & 0x4 and time.perf_counter() < t_end:
                pass
            for ch in (self.dma.sendchannel, self.dma.recvchannel):
                ch.start()
        except Exception as e:  # noqa: BLE001  (the reset is best effort; the caller gets the original error)
            # stacklevel 4: the user's predict() call (_reset_dma <- _on_failure <- predict <- user)
            warnings.warn(f"could not reset DMA {self.dma_path}: {e}", stacklevel=4)

    def __getattr__(self, name):
        # hls4ml's driver subclassed Overlay: keep overlay.hier_0 etc. reachable
        if name.startswith("_") or name in ("overlay",):
            raise AttributeError(name)
        ov = self.__dict__.get("overlay")
        if ov is None:
            raise AttributeError(name)
        return getattr(ov, name)
