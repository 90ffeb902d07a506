"""Printable QR-coded publicity posters and the guidance brochure.

Everything printed comes from two sources: the office configuration
(``chalicelib.config.office``: channels, deadlines, regions, the public URL) and the wording in
``posters/content.toml``. Modules: ``fonts`` (embedded CJK font), ``qr`` (vector QR),
``content`` (wording), ``layout`` (the poster page), ``places``/``tagging`` (batch input and
tag privacy rule), ``batch``, ``index_sheet``, ``brochure``, ``preview`` and ``defaults``.
"""
