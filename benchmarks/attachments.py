"""Attachment extraction throughput: attachments per second and MB/s through the worker process.

Files are generated here (python-docx, python-pptx, openpyxl, reportlab, plain CSV/HTML/text), plus the
real samples in ../shared/attachment-samples when present. Each run starts a fresh Extractor; the
worker's start-up (importing the converters) is reported apart from the extraction itself.

    .venv/bin/python benchmarks/attachments.py [--copies 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from km_assets.extract import Extractor, Limits

SHARED = Path(__file__).resolve().parents[2] / "shared" / "attachment-samples"
WORDS = ["pump", "valve", "sensor", "firmware", "rollout", "canary", "dock", "charger", "gateway", "fleet"]


def _text(n: int, i: int) -> str:
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(n))


def generate(folder: Path, copies: int) -> list[Path]:
    from docx import Document
    from openpyxl import Workbook
    from pptx import Presentation
    from reportlab.pdfgen import canvas

    files = []
    for i in range(copies):
        doc = Document()
        for p in range(40):
            doc.add_paragraph(_text(30, i + p))
        files.append(folder / f"report-{i}.docx")
        doc.save(files[-1])
        book = Workbook()
        for r in range(300):
            book.active.append([r, _text(3, r + i), r * 1.5])
        files.append(folder / f"sheet-{i}.xlsx")
        book.save(files[-1])
        deck = Presentation()
        for s in range(5):
            slide = deck.slides.add_slide(deck.slide_layouts[1])
            slide.shapes.title.text = f"Slide {s}"
            slide.placeholders[1].text = _text(40, s + i)
        files.append(folder / f"deck-{i}.pptx")
        deck.save(files[-1])
        files.append(folder / f"manual-{i}.pdf")
        pdf = canvas.Canvas(str(files[-1]), invariant=1)
        for page in range(3):
            for line in range(45):
                pdf.drawString(40, 800 - 16 * line, _text(12, i + page + line))
            pdf.showPage()
        pdf.save()
        files.append(folder / f"rota-{i}.csv")
        files[-1].write_text("\n".join(f"{r},{_text(4, r + i)},{r * 3}" for r in range(2000)), "utf-8")
        files.append(folder / f"page-{i}.html")
        files[-1].write_text("<html><body>" + "".join(f"<p>{_text(25, p + i)}</p>" for p in range(200))
                             + "</body></html>", "utf-8")
    return files


def run(files: list[Path]) -> tuple[float, float, int, int]:
    started = time.perf_counter()
    with Extractor(Limits()) as ex:
        ex.extract(files[-1])  # start the worker: its imports are not extraction time
        warm = time.perf_counter() - started
        begin = time.perf_counter()
        results = [ex.extract(f) for f in files]
        took = time.perf_counter() - begin
    ok = sum(r.status == "extracted" for r in results)
    return warm, took, ok, sum(f.stat().st_size for f in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"generated": generate(Path(tmp), args.copies)}
        if SHARED.is_dir():
            sets["shared samples"] = sorted(p for p in SHARED.iterdir() if p.name != "PROVENANCE.md")
        print("| set | files | MB | extracted | worker start (s) | wall (s) | attachments/s | MB/s |")
        print("|---|---|---|---|---|---|---|---|")
        for name, files in sets.items():
            runs = [run(files) for _ in range(args.repeat)]
            warm = statistics.median(r[0] for r in runs)
            took = statistics.median(r[1] for r in runs)
            ok, size = runs[0][2], runs[0][3]
            print(f"| {name} | {len(files)} | {size / 1e6:.2f} | {ok} | {warm:.1f} | {took:.2f} | "
                  f"{len(files) / took:.1f} | {size / 1e6 / took:.2f} |")


if __name__ == "__main__":
    main()
