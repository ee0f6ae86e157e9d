"""Colour cast judged with the other mode's baseline: the first colour grabs of a camera that
learned only its night (infrared, grey) picture, as after an installation in the evening.

    python bench/iq_cast_borrowed.py [--seed 1]

For each day scene of bench/bench_iq_accuracy.py's tuning group, the baseline is learned from grey
copies of its learning grabs (an IR night picture of the same view); its healthy colour grabs are
then judged with it. An IR picture's colour says nothing about the day's, so the cast is judged only
against a baseline of the grab's own mode (probes.iq_memory.BORROWED_FIRST_SIGHT; before issue 14
part 7 the absolute limit of 30 Lab units applied here). Prints how many healthy colour grabs are
flagged, and which scenes; also the group's cast frames judged with the memory a camera in service
has (iq_synth.in_service: a night scene's camera has learned its day view too): found against a
baseline of their own mode, and left unjudged where the camera has only the other mode's (a grey
view by day has no colour picture). Tuning group only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_iq_accuracy import generated  # noqa: E402
from probes.iq_memory import PictureMemory, judge  # noqa: E402
from tests.probes import iq_synth  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenes = generated(args.per_source, args.seed, iq_synth.SOURCES[0::2], still=True)
    flagged, judged, which = 0, 0, {}
    own = [0, 0]  # cast frames with a baseline of their own mode: found, judged
    borrowed = [0, 0]  # with only the other mode's: found, judged
    for s in scenes:
        memory = PictureMemory()
        for frame in s.learn:
            memory = judge(frame, memory).memory
        memory = iq_synth.in_service(s, memory)
        cast = judge(s.faults["color_cast"], memory)
        tally = own if cast.mode in memory.baselines else borrowed
        tally[0] += int("color_cast" in cast.diagnosis.faults)
        tally[1] += 1
        night = PictureMemory()
        for frame in s.learn:
            night = judge(cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR), night).memory
        if not night.learned("night"):
            continue
        for frame in s.healthy:
            judged_frame = judge(frame, night)
            if judged_frame.mode != "day":
                continue  # a grey photograph: its day picture is grey too
            judged += 1
            if judged_frame.diagnosis.verdict != "ok":
                flagged += 1
                which[s.name] = judged_frame.diagnosis.faults
    print(f"healthy colour grabs judged with a night-only baseline: {flagged} of {judged} flagged {which}")
    print(f"cast frames with a baseline of their own mode: {own[0]} of {own[1]} found; "
          f"with only the other mode's: {borrowed[0]} of {borrowed[1]} found (not judged)")


if __name__ == "__main__":
    main()
