"""Reads the seed report as numbered paragraphs, the way citation locators count them.

Paragraphs are the text's non-empty lines.  The first line is the title; a line
starting with a Chinese numeral and 、 opens a section ("一、" is section 1); lines
before the first section form the introduction.  Paragraphs are counted from 1 within
each part: "introduction, para 4", "section 2, para 3".
"""

import re

from django.conf import settings

SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
LOCATOR = re.compile(r"^(introduction|section (\d+)), para (\d+)$")


def report_available():
    return settings.TRACKER_REPORT_TEXT.is_file()


def paragraphs():
    lines = [line.strip() for line in settings.TRACKER_REPORT_TEXT.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    numbered = {}
    part, count, section = "introduction", 0, 0
    for line in lines[1:]:
        if SECTION_HEADING.match(line):
            section += 1
            part, count = f"section {section}", 0
            continue
        count += 1
        numbered[f"{part}, para {count}"] = line
    return numbered
