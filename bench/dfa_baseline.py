"""The baseline for ``bench/checks.py``: a pure-Python nested-dict DFA filter.

This is the sensitive-word filter most Python projects copy (a trie of nested
dicts with an end-of-word key, walked from every position of the text; see the
widely copied ``DFAFilter`` of observerss/textfilter). Written here to report
every match, overlapping ones included, as the lexicon matcher does, and
walking the text by index (not by slicing it at every position, which copied
versions often do and which would make the baseline slower than it need be).
"""

END = "\x00"


class DFAFilter:
    def __init__(self, keywords=()):
        self.chains = {}
        for keyword in keywords:
            self.add(keyword)

    def add(self, keyword):
        keyword = keyword.lower().strip()
        if not keyword:
            return
        level = self.chains
        for char in keyword:
            level = level.setdefault(char, {})
        level[END] = keyword

    def find(self, text):
        """Return ``(start, end, keyword)`` for every keyword in ``text``."""
        text = text.lower()
        chains = self.chains
        found = []
        length = len(text)
        for start in range(length):
            level = chains.get(text[start])
            position = start + 1
            while level is not None:
                keyword = level.get(END)
                if keyword is not None:
                    found.append((start, position, keyword))
                if position >= length:
                    break
                level = level.get(text[position])
                position += 1
        return found
