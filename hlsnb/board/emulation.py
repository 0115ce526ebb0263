"""A software ``pynq.Device`` for running :class:`NeuralNetworkOverlay` through pynq's own code off-board.

PYNQ tests itself without hardware through ``Device`` subclasses. This one is registered only when the
environment variable ``HLSNB_PYNQ_EMULATE`` is set (``import hlsnb.board`` then imports this module), and its
``_probe_priority_`` sorts after every real device, so on a board it never becomes the default.

What it models:

- register reads/writes (pynq's ``MMIO`` with the ``REGISTER_RW`` capability);
- the AXI DMA in simple mode at register level (PG021: MM2S DMACR 0x00, DMASR 0x04, SA 0x18, LENGTH 0x28;
  S2MM DMACR 0x30, DMASR 0x34, DA 0x48, LENGTH 0x58; DMASR halted bit 0, idle bit 1, errors bits 4-6,
  IOC 0x1000 write-1-to-clear; DMACR run/stop bit 0, reset bit 2); a transfer starts when LENGTH is written;
  S2MM stops at TLAST and reports the bytes written in LENGTH;
- physically contiguous buffers with separate host and device copies (``flush`` copies host -> device,
  ``invalidate`` device -> host, as with the cacheable CMA buffers on a Zynq), under a CMA limit;
- the hls4ml AXI-stream IP: whole samples of input words in, output words out with TLAST on the last word of
  the sample whose input carried TLAST, computed by the C simulation library (``run_stream_words``).

The IP's behaviour comes from ``HLSNB_EMULATE_CSIM`` (path of the C simulation library) and the bundle
manifest next to the bitfile (the interface), read when the bitstream is "downloaded"; tests can also assign
``device.stream_ip`` directly. ``device.stall = True`` makes the IP stop accepting data (a hung design).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
from pynq.buffer import PynqBuffer
from pynq.pl_server.device import Device

from ..errors import BoardError
from ._csim import CSimLibrary
from .manifest import read_interface_next_to
from .overlay import run_stream_words
from .profiles import get_profile

__all__ = ["EmulatedZynqDevice", "StreamIP", "ENV_ENABLE", "ENV_CSIM"]

ENV_ENABLE = "HLSNB_PYNQ_EMULATE"
ENV_CSIM = "HLSNB_EMULATE_CSIM"

_HALTED, _IDLE, _INT_ERR, _SLV_ERR, _DEC_ERR, _IOC = 0x1, 0x2, 0x10, 0x20, 0x40, 0x1000
_CMA_BASE = 0x1600_0000
_PYNQ_Z2_CMA_BYTES = get_profile("pynq-z2").cma_bytes  # the emulated board is a PYNQ-Z2
_PAGE = 4096


class StreamIP:
    """The AXI-stream IP: consumes whole samples, produces output words, propagates TLAST per sample."""

    def __init__(self, csim: CSimLibrary, interface):
        self.csim, self.interface = csim, interface
        self.in_bytes = interface.input_word.dtype.itemsize
        self.out_bytes = interface.output_word.dtype.itemsize
        self.samples = 0

    def process(self, data: bytes, last_beats: set) -> tuple:
        """Whole samples of ``data`` -> (output bytes, output beat indices carrying TLAST, bytes consumed)."""
        iface = self.interface
        per = iface.n_in * self.in_bytes
        k = len(data) // per
        if k == 0:
            return b"", set(), 0
        words = np.frombuffer(data[: k * per], dtype=iface.input_word.dtype).reshape(k, iface.n_in)
        out, _ = run_stream_words(self.csim, iface, words)
        out = np.ascontiguousarray(out, dtype=iface.output_word.dtype)
        lasts = set()
        for b in last_beats:
            if b < k * iface.n_in:
                lasts.add((b // iface.n_in + 1) * iface.n_out - 1)
        self.samples += k
        return out.tobytes(), lasts, k * per


class _Channel:
    def __init__(self):
        self.cr = 0
        self.sr = _HALTED
        self.addr = 0
        self.length = 0
        self.busy = False
        self.done_bytes = 0


class _AxiDmaModel:
    """PG021 simple-mode register model, feeding an attached :class:`StreamIP`."""

    def __init__(self, device, base):
        self.device, self.base = device, base
        self.reset()

    def reset(self):
        self.mm2s, self.s2mm = _Channel(), _Channel()
        self.in_fifo = bytearray()
        self.in_lasts: set = set()  # beat indices (into in_fifo) carrying TLAST
        self.out_fifo = bytearray()
        self.out_lasts: set = set()
        self.transfers = {"mm2s": 0, "s2mm": 0}

    def _ch(self, off):
        return (self.mm2s, off) if off < 0x30 else (self.s2mm, off - 0x30)

    def read(self, off) -> int:
        ch, o = self._ch(off)
        if o == 0x00:
            return ch.cr
        if o == 0x04:
            return ch.sr
        if o in (0x18, 0x48 - 0x30):
            return ch.addr & 0xFFFFFFFF
        if o == 0x28:
            return ch.length
        return 0

    def write(self, off, value):
        ch, o = self._ch(off)
        if o == 0x00:
            if value & 0x4:  # soft reset: both channels, and whatever is in the stream
                self.reset()
                return
            ch.cr = value
            if value & 0x1:
                ch.sr &= ~_HALTED
            else:
                ch.sr |= _HALTED
                ch.busy = False
        elif o == 0x04:
            ch.sr &= ~(value & 0x7000)  # interrupt bits are write-1-to-clear
        elif o == 0x18:
            ch.addr = (ch.addr & ~0xFFFFFFFF) | value
        elif o == 0x1C:
            ch.addr = (ch.addr & 0xFFFFFFFF) | (value << 32)
        elif o == 0x28:
            if ch.sr & _HALTED:
                return  # PG021: LENGTH written while halted is ignored
            if value == 0:
                ch.sr |= _INT_ERR | _HALTED
                return
            ch.length, ch.busy, ch.done_bytes = value, True, 0
            ch.sr &= ~_IDLE
            self._progress()

    def _progress(self):
        dev = self.device
        m = self.mm2s
        if m.busy and not dev.stall:
            data = dev._dma_read(m.addr, m.length)
            if data is None:
                m.sr |= _DEC_ERR | _HALTED
                m.busy = False
            else:
                beat = dev.stream_ip.in_bytes if dev.stream_ip else 4
                first = len(self.in_fifo) // beat
                self.in_fifo += data
                self.in_lasts.add(first + len(data) // beat - 1)  # MM2S asserts TLAST on its last beat
                m.busy = False
                m.sr |= _IDLE | _IOC
                self.transfers["mm2s"] += 1
        ip = dev.stream_ip
        if ip is not None and self.in_fifo and not dev.stall:
            out, lasts, used = ip.process(bytes(self.in_fifo), self.in_lasts)
            if used:
                beats_used = used // ip.in_bytes
                del self.in_fifo[:used]
                self.in_lasts = {b - beats_used for b in self.in_lasts if b >= beats_used}
                base = len(self.out_fifo) // ip.out_bytes
                self.out_fifo += out
                self.out_lasts |= {base + b for b in lasts}
        s = self.s2mm
        if s.busy and self.out_fifo and ip is not None:
            room = s.length - s.done_bytes
            beat = ip.out_bytes
            n_beats = min(room, len(self.out_fifo)) // beat
            ends = sorted(b for b in self.out_lasts if b < n_beats)
            if ends:
                n_beats = ends[0] + 1
            take = n_beats * beat
            if not dev._dma_write(s.addr + s.done_bytes, bytes(self.out_fifo[:take])):
                s.sr |= _DEC_ERR | _HALTED
                s.busy = False
                return
            del self.out_fifo[:take]
            self.out_lasts = {b - n_beats for b in self.out_lasts if b >= n_beats}
            s.done_bytes += take
            if ends or s.done_bytes >= s.length:
                s.length = s.done_bytes
                s.busy = False
                s.sr |= _IDLE | _IOC
                self.transfers["s2mm"] += 1


class _EmulatedBuffer(PynqBuffer):
    """A PynqBuffer whose memory goes back to the emulated CMA pool (there is no mmap to undo)."""

    def freebuffer(self):
        pointer = getattr(self, "pointer", 0)
        if pointer:
            self.pointer = 0
            self.return_to.return_pointer(pointer)


class _EmulatedMemory:
    """Host arrays plus device copies at fake physical addresses in a CMA window."""

    def __init__(self, device, cma_bytes):
        self.device, self.cma_bytes = device, cma_bytes
        self.live: dict = {}  # phys addr -> device-side bytearray
        self.next_addr = _CMA_BASE
        self.allocated = self.freed = 0

    @property
    def live_bytes(self) -> int:
        return sum(len(b) for b in self.live.values())

    def allocate(self, shape, dtype, **kwargs):
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        if self.live_bytes + nbytes > self.cma_bytes:
            raise RuntimeError(
                f"Failed to allocate {nbytes} bytes: {self.live_bytes} of {self.cma_bytes} CMA bytes in use"
            )
        addr = self.next_addr
        self.next_addr += -(-max(nbytes, 1) // _PAGE) * _PAGE
        self.live[addr] = bytearray(nbytes)
        buf = _EmulatedBuffer(shape, dtype, device_address=addr, device=self.device, bo=addr, coherent=False)
        buf.memory = self
        buf.pointer = addr
        buf.return_to = self
        self.allocated += 1
        return buf

    def return_pointer(self, pointer):
        if self.live.pop(pointer, None) is not None:
            self.freed += 1

    def region(self, addr, nbytes):
        for base, mem in self.live.items():
            if base <= addr and addr + nbytes <= base + len(mem):
                return mem, addr - base
        return None, 0


class EmulatedZynqDevice(Device):
    """A Zynq-7000 (PYNQ-Z2) as far as pynq's Overlay, allocate and DMA driver can tell."""

    _probe_priority_ = 9000  # unique; sorts after EmbeddedDevice (50), RemoteDevice (100), XrtDevice (200)
    emulated = True  # NeuralNetworkOverlay labels its timings accordingly

    @classmethod
    def _probe_(cls):
        return [cls()] if os.environ.get(ENV_ENABLE) else []

    def __init__(self, tag="hlsnb_emulated_zynq", cma_bytes=_PYNQ_Z2_CMA_BYTES):
        super().__init__(tag)
        self.name = tag
        self.arch = "armv7l"  # pynq's Clocks then programs the Zynq SLCR registers, here plain registers
        self.capabilities = {"REGISTER_RW": True, "MEMORY_MAPPED": False, "CALLABLE": False}
        self.registers: dict = {}
        self.memory = _EmulatedMemory(self, cma_bytes)
        self.dmas: dict = {}
        self.stream_ip: "StreamIP | None" = None
        self.stall = False
        self.downloads: list = []
        self.dtbos: list = []
        self.flushes = self.invalidates = 0
        # _ClocksZynq reads the PLL and clock control registers: give them a plausible 100 MHz FCLK0 setup.
        self._seed_slcr()

    def _seed_slcr(self):
        slcr = 0xF800_0000
        self.registers[slcr + 0x100] = 0x1A << 12  # ARM_PLL_CTRL: FDIV 26 (33.33 MHz ref)
        self.registers[slcr + 0x108] = 0x28 << 12  # IO_PLL_CTRL: FDIV 40 -> 1333 MHz
        self.registers[slcr + 0x120] = (2 << 8)  # ARM_CLK_CTRL
        for i in range(4):
            self.registers[slcr + 0x170 + 0x10 * i] = (1 << 20) | (10 << 8)  # FPGAi_CLK_CTRL

    # -- pynq Device API ----------------------------------------------------------------------------------------
    @property
    def default_memory(self):
        return self.memory

    def has_capability(self, cap):
        return self.capabilities.get(cap, False)

    def get_bitfile_metadata(self, bitfile_name, partial=False):
        # pynq's EmbeddedDevice does this and then adds an XRT xclbin (built with xclbinutil, which only the
        # board image has); a register-level emulation needs the .hwh alone.
        from pynq.metadata.runtime_metadata_parser import RuntimeMetadataParser
        from pynqmetadata.frontends import Metadata

        hwh = Path(bitfile_name).with_suffix(".hwh")
        if not hwh.is_file():
            raise RuntimeError(f"Unable to find metadata for bitstream: {hwh} is missing")
        parser = RuntimeMetadataParser(Metadata(input=hwh))
        parser.refresh_hierarchy_dict()
        parser.bin_data = None
        parser.xclbin_data = None
        parser.dtbo_data = None
        return parser

    def download(self, bitstream, parser=None):
        """Record the download and set up the DMA models and the IP for this design."""
        self.downloads.append(str(bitstream.bitfile_name))
        self.dmas = {}
        if parser is not None:
            for ip in parser.ip_dict.values():
                if "axi_dma" in str(ip.get("type", "")):
                    self.dmas[int(ip["phys_addr"])] = (_AxiDmaModel(self, int(ip["phys_addr"])), int(ip["addr_range"]))
        self._configure_ip(Path(bitstream.bitfile_name))
        self.post_download(bitstream, parser, self.name)  # pynq's own bookkeeping (timestamp, dictionaries)

    def _configure_ip(self, bitfile: Path):
        lib = os.environ.get(ENV_CSIM)
        if not lib:
            return
        try:
            iface = read_interface_next_to(bitfile)
        except BoardError:
            self.stream_ip = None  # no interface known: nothing in the emulated fabric answers
            return
        self.stream_ip = StreamIP(CSimLibrary.for_interface(lib, iface), iface)

    def insert_device_tree(self, abs_dtbo):
        self.dtbos.append(str(abs_dtbo))

    def remove_device_tree(self, abs_dtbo):
        pass

    def shutdown(self):
        pass

    def flush(self, bo, offset, ptr, size):
        """Host -> device copy (a cache flush on the Zynq)."""
        mem, off = self.memory.region(bo + offset, size)
        if mem is not None:
            mem[off:off + size] = (ctypes_string_at(ptr, size))
        self.flushes += 1

    def invalidate(self, bo, offset, ptr, size):
        """Device -> host copy (a cache invalidate on the Zynq)."""
        mem, off = self.memory.region(bo + offset, size)
        if mem is not None:
            ctypes_memmove(ptr, bytes(mem[off:off + size]), size)
        self.invalidates += 1

    # -- registers --------------------------------------------------------------------------------------------------
    def _dma_at(self, address):
        for base, (dma, rng) in self.dmas.items():
            if base <= address < base + rng:
                return dma, address - base
        return None, 0

    def read_registers(self, address, length):
        out = bytearray()
        for a in range(address, address + length, 4):
            dma, off = self._dma_at(a)
            v = dma.read(off) if dma is not None else self.registers.get(a, 0)
            out += struct.pack("<I", v & 0xFFFFFFFF)
        return bytes(out[:length])

    def write_registers(self, address, data):
        data = bytes(data)
        for i in range(0, len(data), 4):
            (v,) = struct.unpack("<I", data[i:i + 4].ljust(4, b"\0"))
            a = address + i
            dma, off = self._dma_at(a)
            if dma is not None:
                dma.write(off, v)
            else:
                self.registers[a] = v

    # -- bus masters ---------------------------------------------------------------------------------------------------
    def _dma_read(self, addr, nbytes):
        mem, off = self.memory.region(addr, nbytes)
        return None if mem is None else bytes(mem[off:off + nbytes])

    def _dma_write(self, addr, data):
        mem, off = self.memory.region(addr, len(data))
        if mem is None:
            return False
        mem[off:off + len(data)] = data
        return True


def ctypes_string_at(ptr, size):
    import ctypes

    return ctypes.string_at(ptr, size)


def ctypes_memmove(ptr, data, size):
    import ctypes

    ctypes.memmove(ptr, data, size)
