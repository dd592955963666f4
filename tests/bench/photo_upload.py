"""Uploading a 4 MB phone photo through the gateway: latency, CPU and memory per upload, and the
sizes kept (for the storage sizing in the README).

    .venv/bin/python -m tests.bench.photo_upload [--uploads 40] [--json out.json]

Starts its own stack (tests/bench/harness.py; local store under its DATA_DIR) and a store with a
checked-in car, makes a 12-megapixel JPEG of about 4 MB with the EXIF of a phone (camera, GPS), then
posts it `--uploads` times in a row as the walk-around photo of the visit (`POST /v1/visits/{id}/photos`,
multipart, after 3 untimed): p50/p99 of the whole request; CPU seconds of the gateway workers, of sales
(it records the row, then makes the thumbnail off the request path) per upload; the peak RSS of the
gateway workers above their idle RSS while uploading, sampled every 20 ms. To show that the gateway
streams the file rather than holding it, a 40 MB MP4 (kept as sent, no decoding) is uploaded 5 times
with the same sampling: its peak above idle is what one request holds, whatever the file's size.
Then `AT_ONCE` photos posted at once (one session each): the peak RSS a gateway worker reaches above its idle
RSS, which the re-encoding slots (`REENCODE_SLOTS`, 1 per process) bound whatever the number of phones. Then the
bytes kept per photo (re-encoded, EXIF gone) and per thumbnail, and how long the thumbnail took to appear.
A benchmark script, not a test.
"""
from __future__ import annotations

import io
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil
import requests
from PIL import Image

from tests.bench.flow import Shop, ok
from tests.bench.harness import (bench_parser, cpu_seconds, header_line, markdown_table, percentile, rss_mb,
                                 run_on_stack, stack_processes, step)

PHOTO_SIZE = (4032, 3024)  # a 12 MP phone camera
VIDEO_MB = 40
SAMPLE_SECONDS = 0.02
AT_ONCE = 12


def phone_photo() -> bytes:
    """A 12 MP JPEG of about 4 MB with a phone's EXIF (make, model, GPS, time taken)."""
    width, height = PHOTO_SIZE
    base = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    grain = Image.effect_noise((width // 2, height // 2), 40).resize(PHOTO_SIZE).convert("RGB")
    image = Image.blend(base, grain, 0.35)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "PhoneMaker", "Phone X", 1
    exif.get_ifd(0x8769)[0x9003] = "2026:12:05 14:30:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=94, exif=exif)
    return buffer.getvalue()


def mp4(megabytes: int) -> bytes:
    return b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0" * (megabytes * 2**20)


class Peak:
    """The highest RSS of each process while the block runs, sampled every SAMPLE_SECONDS, and how far
    above its RSS as the block began (`rise`: what the block's requests held at once)."""

    def __init__(self, processes: dict[str, psutil.Process]):
        self.processes = processes
        self.start = {name: rss_mb(p) for name, p in processes.items()}
        self.peak = dict(self.start)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stop.is_set():
            for name, process in self.processes.items():
                self.peak[name] = max(self.peak[name], rss_mb(process))
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def rise(self) -> float:
        return max(self.peak[name] - self.start[name] for name in self.processes)


def session_like(session: requests.Session) -> requests.Session:
    """Another connection with the same sign-in (a Session is not shared between threads)."""
    other = requests.Session()
    other.headers.update(session.headers)
    return other


def upload(session, url: str, content: bytes, name: str) -> tuple[float, dict]:
    started = time.perf_counter()
    reply = ok(session.post(url, files={"file": (name, content)}, data={"position": "front"}))
    return time.perf_counter() - started, reply


def measure(args, stack) -> dict:
    shop = Shop(stack)
    visit = shop.visit()
    url = f"{stack.url}/v1/visits/{visit['id']}/photos"
    photo, video = phone_photo(), mp4(VIDEO_MB)
    processes = stack_processes(stack)
    gateway = {name: p for name, p in processes.items() if name.startswith("gateway worker")}
    for _ in range(3):
        upload(shop.advisor, url, photo, "IMG_0001.HEIC.jpg")
    time.sleep(3)  # thumbnails of the warm-up made, garbage gone
    idle = {name: rss_mb(p) for name, p in gateway.items()}  # the worker(s) that decoded a photo keep its arena

    step(f"{args.uploads} uploads of a {len(photo) / 2**20:.1f} MB photo")
    cpu_before = {name: cpu_seconds(p) for name, p in processes.items()}
    seconds, made = [], []
    with Peak(gateway) as photo_peak:
        for _ in range(args.uploads):
            took, reply = upload(shop.advisor, url, photo, "IMG_0002.jpg")
            seconds.append(took)
            made.append(reply)
    thumbnails_after = wait_for_thumbnails(stack, made)
    cpu = {name: cpu_seconds(p) - cpu_before[name] for name, p in processes.items()}

    step(f"{AT_ONCE} uploads of the photo at once")
    with Peak(gateway) as crowd_peak:
        crowd = [threading.Thread(target=upload, args=(session_like(shop.advisor), url, photo, "crowd.jpg"))
                 for _ in range(AT_ONCE)]
        for thread in crowd:
            thread.start()
        for thread in crowd:
            thread.join()

    step(f"5 uploads of a {VIDEO_MB} MB video")
    with Peak(gateway) as video_peak:
        video_seconds = [upload(shop.advisor, url, video, "clip.mp4")[0] for _ in range(5)]

    stored = [a["size"] for a in made]
    thumbs = [p.stat().st_size for p in (stack.log_dir / "attachments").rglob("*.thumbnail.jpg")]
    shop.close()
    values = sorted(seconds)
    gateway_cpu = sum(v for name, v in cpu.items() if name.startswith("gateway"))
    return {
        "photo_bytes": len(photo), "uploads": args.uploads,
        "p50_ms": statistics.median(values) * 1000, "p99_ms": percentile(values, 0.99) * 1000,
        "max_ms": values[-1] * 1000, "uploads_per_s": len(values) / sum(values),
        "cpu_ms_per_upload": {"gateway": gateway_cpu / len(values) * 1000,
                              "sales": cpu["sales"] / len(values) * 1000},
        "gateway_idle_mb": idle,
        "photo_peak_above_idle_mb": photo_peak.rise(),
        "at_once": AT_ONCE, "at_once_peak_above_idle_mb": crowd_peak.rise(),
        "video_mb": VIDEO_MB, "video_p50_ms": statistics.median(video_seconds) * 1000,
        "video_peak_above_idle_mb": video_peak.rise(),
        "stored_bytes_mean": statistics.fmean(stored), "thumbnail_bytes_mean": statistics.fmean(thumbs),
        "thumbnails_ready_within_s": thumbnails_after,
    }


def wait_for_thumbnails(stack, made: list[dict], timeout: float = 60) -> float:
    """Seconds after the last upload until every photo's thumbnail is in the store."""
    started = time.monotonic()
    root: Path = stack.log_dir / "attachments"
    wanted = {a["id"] for a in made}
    while time.monotonic() - started < timeout:
        done = {p.name.split(".")[0] for p in root.rglob("*.thumbnail.jpg")}
        if wanted <= done:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError("thumbnails not made within a minute")


def report(figures: dict, meta: dict) -> str:
    per_day = 300 * 500 * (figures["stored_bytes_mean"] + figures["thumbnail_bytes_mean"])
    rows = [
        ["photo sent", f"{figures['photo_bytes'] / 2**20:.2f} MB, 4032×3024, EXIF with GPS"],
        ["latency per upload", f"p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
                               f"max {figures['max_ms']:.0f} ms ({figures['uploads']} in a row, "
                               f"{figures['uploads_per_s']:.2f}/s)"],
        ["CPU per upload", f"gateway {figures['cpu_ms_per_upload']['gateway']:.0f} ms, sales (row + thumbnail) "
                           f"{figures['cpu_ms_per_upload']['sales']:.0f} ms"],
        ["gateway worker memory", f"idle {max(figures['gateway_idle_mb'].values()):.0f} MB; peak above idle "
                                  f"{figures['photo_peak_above_idle_mb']:.0f} MB per photo (the decoded pixels "
                                  "while re-encoding)"],
        [f"{figures['at_once']} photos at once", f"peak above idle {figures['at_once_peak_above_idle_mb']:.0f} MB in "
                                                 "a gateway worker (1 re-encoding slot per process)"],
        [f"{figures['video_mb']} MB video (kept as sent)", f"p50 {figures['video_p50_ms']:.0f} ms; peak above "
                                                           f"idle {figures['video_peak_above_idle_mb']:.1f} MB"],
        ["kept per photo", f"{figures['stored_bytes_mean'] / 2**20:.2f} MB re-encoded + "
                           f"{figures['thumbnail_bytes_mean'] / 1024:.0f} KB thumbnail"],
        ["thumbnails ready", f"{figures['thumbnails_ready_within_s']:.1f} s after the last upload"],
        ["300 photos × 500 stores a day", f"{per_day / 2**30:.1f} GiB a day, {per_day * 365 / 2**40:.1f} TiB a year"],
    ]
    return "\n".join([header_line(meta), "", markdown_table(["figure", "measured"], rows)])


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser("photo_upload", __doc__)
    parser.add_argument("--uploads", type=int, default=40, help="timed uploads of the photo (40)")
    args = parser.parse_args(argv)
    return run_on_stack("photo_upload", args, lambda stack, _amqp_uri: measure(args, stack), report)


if __name__ == "__main__":
    sys.exit(main())
