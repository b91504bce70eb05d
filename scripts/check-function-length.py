#!/usr/bin/env python3
"""Lists functions longer than a limit (default 150 lines) in C++ sources.

    scripts/check-function-length.py [--max N] DIR...

A function's length is counted from the line of its opening brace to the line
of its closing brace, like clang-tidy's readability-function-size
LineThreshold. Lambdas and local classes count towards the function that holds
them. The scan is lexical (comments, strings and character literals are
skipped), which is enough for this code base's style; exit 1 when any function
is over the limit, naming file:line and the length.
"""
import argparse
import os
import re
import sys

CONTROL = re.compile(r"^\s*(if|for|while|switch|catch|else|do|try)\b|\belse\s*$|\bdo\s*$|\btry\s*$")
NOT_FUNCTION = re.compile(r"\b(class|struct|namespace|enum|union|extern\s+\"C\")\b")


def strip(text):
    """Blanks out comments, strings and char literals, keeping newlines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join("\n" if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            end = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + "".join("\n" for ch in text[i:end] if ch == "\n"))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                if text[j] == "\\":
                    j += 1
                if j < n and text[j] == "\n":
                    break
                j += 1
            out.append(c + c + "".join("\n" for ch in text[i:j] if ch == "\n"))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path, limit):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip(f.read())
    stack = []  # (is_function, start_line, header)
    header_start = 0
    line = 1
    found = []
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "{":
            header = text[header_start:i]
            inside_function = any(s[0] for s in stack)
            is_function = (not inside_function and ")" in header and not NOT_FUNCTION.search(header)
                           and not CONTROL.search(header.strip().splitlines()[-1] if header.strip() else "")
                           and not header.rstrip().endswith("="))
            name = " ".join(header.split())[-90:]
            stack.append((is_function, line, name))
            header_start = i + 1
        elif c == "}":
            if stack:
                is_function, start, name = stack.pop()
                if is_function and line - start + 1 > limit:
                    found.append((path, start, line - start + 1, name))
            header_start = i + 1
        elif c == ";":
            header_start = i + 1
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=150)
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    found = []
    for d in args.dirs:
        for root, _, files in os.walk(d):
            for name in sorted(files):
                if name.endswith((".cc", ".h")) and not name.endswith("_test.cc"):
                    found += long_functions(os.path.join(root, name), args.max)
    for path, start, length, name in sorted(found):
        print(f"{path}:{start}: {length} lines: {name}")
    if found:
        print(f"check-function-length: {len(found)} function(s) over {args.max} lines: split them into named steps",
              file=sys.stderr)
        return 1
    print(f"check-function-length: no function over {args.max} lines in {' '.join(args.dirs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
