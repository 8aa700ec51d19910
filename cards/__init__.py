"""Cards and chat texts for each reader: Jinja2 templates, catalogs, a validated Card.

Start at `cards.render.Renderer`; the wire format is `cards.model.Card`.
"""
