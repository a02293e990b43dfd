"""The year's template pack (批量下载模板) taken into a cycle: read, matched, reported, confirmed.

Plain Python: ``pack`` (the zip), ``read`` and ``lists`` (one template), ``identify`` (which
table), ``match`` (to the cycle's tables), ``rules`` (rules carried through), ``report`` and
``plan`` (the change report and what confirming does). The ORM: ``services`` (upload, the
office's corrections, discard) and ``confirm``. See docs/template-packs.md.
"""
