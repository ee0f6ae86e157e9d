"""The session description (SDP) a simulated camera offers: H.264 with a real SPS/PPS for its size.

The sequence and picture parameter sets are written bit by bit (ITU-T H.264 7.3.2.1 and 7.3.2.2,
Main profile, level 4.0, frame cropping for heights that are not a multiple of 16), so a client
reading sprop-parameter-sets gets the picture size the ONVIF profile announces.
"""

from __future__ import annotations

import base64
import functools

PROFILE_IDC, LEVEL_IDC = 77, 40  # Main profile, level 4.0 (1080p at 30 fps)


class _BitWriter:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, count: int, value: int) -> None:
        self.bits += [(value >> (count - 1 - i)) & 1 for i in range(count)]

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(2 * code.bit_length() - 1, code)  # leading zeros, then the code itself

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def rbsp(self) -> bytes:
        bits = self.bits + [1]  # rbsp_stop_one_bit, then zero bits to the byte boundary
        bits += [0] * (-len(bits) % 8)
        raw = bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
        return _emulation_prevention(raw)


def _emulation_prevention(raw: bytes) -> bytes:
    """Insert 0x03 after two zero bytes that precede a byte <= 3 (7.4.1)."""
    out, zeros = bytearray(), 0
    for byte in raw:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def sps(width: int, height: int) -> bytes:
    w = _BitWriter()
    w.u(8, 0x67)  # forbidden_zero_bit 0, nal_ref_idc 3, nal_unit_type 7 (SPS)
    w.u(8, PROFILE_IDC)
    w.u(8, 0x40)  # constraint_set1_flag: the stream also conforms to Main
    w.u(8, LEVEL_IDC)
    w.ue(0)  # seq_parameter_set_id
    w.ue(0)  # log2_max_frame_num_minus4
    w.ue(2)  # pic_order_cnt_type 2: output order = decoding order (no B-frames)
    w.ue(1)  # max_num_ref_frames
    w.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    mbs_w, mbs_h = -(-width // 16), -(-height // 16)
    w.ue(mbs_w - 1)
    w.ue(mbs_h - 1)
    w.u(1, 1)  # frame_mbs_only_flag
    w.u(1, 1)  # direct_8x8_inference_flag
    crop_right, crop_bottom = (mbs_w * 16 - width) // 2, (mbs_h * 16 - height) // 2  # 4:2:0 crop units
    w.u(1, 1 if crop_right or crop_bottom else 0)
    if crop_right or crop_bottom:
        w.ue(0), w.ue(crop_right), w.ue(0), w.ue(crop_bottom)
    w.u(1, 0)  # vui_parameters_present_flag
    return w.rbsp()


def pps() -> bytes:
    w = _BitWriter()
    w.u(8, 0x68)  # nal_ref_idc 3, nal_unit_type 8 (PPS)
    w.ue(0), w.ue(0)  # pic_parameter_set_id, seq_parameter_set_id
    w.u(1, 0), w.u(1, 0)  # entropy_coding_mode_flag (CAVLC), bottom_field_pic_order_in_frame_present
    w.ue(0)  # num_slice_groups_minus1
    w.ue(0), w.ue(0)  # num_ref_idx_l0/l1_default_active_minus1
    w.u(1, 0), w.u(2, 0)  # weighted_pred_flag, weighted_bipred_idc
    w.se(0), w.se(0), w.se(0)  # pic_init_qp_minus26, pic_init_qs_minus26, chroma_qp_index_offset
    w.u(1, 1), w.u(1, 0), w.u(1, 0)  # deblocking_filter_control_present, constrained_intra, redundant
    return w.rbsp()


@functools.lru_cache(maxsize=8)
def session(width: int, height: int) -> bytes:
    """An SDP offering one H.264 video track (and G.711 audio, as most cameras do)."""
    sprop = f"{base64.b64encode(sps(width, height)).decode()},{base64.b64encode(pps()).decode()}"
    level_id = f"{PROFILE_IDC:02x}40{LEVEL_IDC:02x}"
    return ("v=0\r\no=- 1700000000 1 IN IP4 0.0.0.0\r\ns=Media Presentation\r\ne=NONE\r\nb=AS:5100\r\n"
            "t=0 0\r\na=control:*\r\n"
            "m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:5000\r\na=recvonly\r\n"
            "a=control:trackID=1\r\na=rtpmap:96 H264/90000\r\n"
            f"a=fmtp:96 profile-level-id={level_id};packetization-mode=1;sprop-parameter-sets={sprop}\r\n"
            "a=framerate:25.0\r\n"
            "m=audio 0 RTP/AVP 8\r\nc=IN IP4 0.0.0.0\r\nb=AS:50\r\na=recvonly\r\na=control:trackID=2\r\n"
            "a=rtpmap:8 PCMA/8000\r\n").encode()
