#!/usr/bin/env python3
"""Checks that every relative link and anchor in the documentation resolves.

Usage: check_links.py REPO_ROOT

Reads README.md, CONTRIBUTING.md and docs/*.md under REPO_ROOT. For each Markdown link
`[text](target)` or reference definition `[label]: target` outside code, a relative target must
name an existing file or folder, and a `#anchor` must match a heading of the Markdown file it
points into (GitHub's rules: lower-case, punctuation dropped, spaces become '-', a repeated
heading gets -1, -2, ...) or an explicit <a id="..."> / <a name="...">. Links with a scheme
(https:, mailto:) are not checked. Prints one line per broken link, `FILE:LINE: broken link
TARGET: WHY`, and exits 1 when there is any, else 0.
"""
import os
import re
import sys
import unicodedata

FENCE = re.compile(r'^ {0,3}(`{3,}|~{3,})')
HEADING = re.compile(r'^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$')
INLINE_LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)')
REFERENCE_DEF = re.compile(r'^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$')
HTML_ANCHOR = re.compile(r'<a\s+[^>]*(?:id|name)\s*=\s*["\']([^"\']+)["\']', re.IGNORECASE)
INLINE_CODE = re.compile(r'(`+)(?:(?!\1).)+?\1')
SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')


def heading_text(raw):
    """The text GitHub renders for a heading: code spans keep their content, links their text."""
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', raw)
    text = re.sub(r'<[^>]+>', '', text)
    return text.replace('`', '')


def slug(text):
    """GitHub's heading anchor: lower-case, keep letters, digits, '-', '_' and spaces; spaces -> '-'."""
    out = []
    for ch in heading_text(text).strip().lower():
        if ch == ' ':
            out.append('-')
        elif ch in '-_' or unicodedata.category(ch)[0] in 'LNM':
            out.append(ch)
    return ''.join(out)


def lines_outside_code(text):
    """Yields (line number, line) for lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.split('\n'), 1):
        match = FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            continue
        yield number, line


_anchor_cache = {}


def anchors_of(path):
    if path not in _anchor_cache:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        anchors, seen = set(), {}
        for _, line in lines_outside_code(text):
            match = HEADING.match(line)
            if match:
                base = slug(match.group(2))
                count = seen.get(base, 0)
                seen[base] = count + 1
                anchors.add(base if count == 0 else '%s-%d' % (base, count))
            for name in HTML_ANCHOR.findall(line):
                anchors.add(name)
        _anchor_cache[path] = anchors
    return _anchor_cache[path]


def check_file(root, path):
    problems = []
    with open(path, encoding='utf-8') as f:
        text = f.read()
    rel = os.path.relpath(path, root)
    for number, line in lines_outside_code(text):
        targets = [m.group(1) for m in INLINE_LINK.finditer(INLINE_CODE.sub('', line))]
        ref = REFERENCE_DEF.match(line)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            if not target or SCHEME.match(target):
                continue
            file_part, _, anchor = target.partition('#')
            file_part = file_part.split('?', 1)[0]
            if file_part:
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
                if not os.path.exists(dest):
                    problems.append('%s:%d: broken link %s: %s does not exist'
                                    % (rel, number, target, os.path.relpath(dest, root)))
                    continue
            else:
                dest = path
            if anchor:
                if not dest.endswith('.md') or os.path.isdir(dest):
                    continue  # anchors into other kinds of files are not checked
                if anchor not in anchors_of(dest):
                    problems.append('%s:%d: broken link %s: no heading #%s in %s'
                                    % (rel, number, target, anchor, os.path.relpath(dest, root)))
    return problems


def main(argv):
    if len(argv) != 2 or argv[1] in ('-h', '--help'):
        sys.stderr.write('usage: check_links.py REPO_ROOT\n')
        return 2
    root = os.path.abspath(argv[1])
    files = [os.path.join(root, name) for name in ('README.md', 'CONTRIBUTING.md')]
    docs = os.path.join(root, 'docs')
    if os.path.isdir(docs):
        files += sorted(os.path.join(docs, n) for n in os.listdir(docs) if n.endswith('.md'))
    problems, checked = [], 0
    for path in files:
        if not os.path.exists(path):
            problems.append('%s: missing' % os.path.relpath(path, root))
            continue
        checked += 1
        problems += check_file(root, path)
    for problem in problems:
        print(problem)
    print('%d files checked, %d broken link(s)' % (checked, len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
