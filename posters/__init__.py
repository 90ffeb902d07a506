"""Printable QR-coded publicity posters and the guidance brochure.

Everything printed comes from two sources: the office configuration
(``chalicelib.config.office``: channels, deadlines, regions, the public URL) and the wording in
``posters/content.toml``. Modules: ``fonts`` (embedded CJK font), ``qr`` (vector QR),
``content`` (wording), ``layout`` (the poster page), ``places``/``tagging`` (batch input and
tag privacy rule), ``siteurls`` (printed addresses, per language), ``textfit`` and
``cjkparagraph`` (Chinese line breaking), ``batch``, ``index_sheet``, ``brochure`` with
``brochure_covers`` and ``booklet`` (whole folded sheets), ``preview`` and ``defaults``.
"""
