"""A user's photo of handwriting (a word, a line, a page) -> digital ink and files.

- ``boxes``: word boxes from Tesseract (``image_to_data``) or from a user's file (JSON or
  PAGE-XML), box expansion;
- ``page``: crop each word, letterbox it into the model frame, decode all words through
  ``inkrepro.infer`` in batches, map the ink back onto the page (inverse letterbox), one Ink
  in page pixels in reading order;
- ``files``: InkML (W3C / InkSight release variant), SVG, PNG overlay, GIF, JSON;
- ``synthetic``: a page of our synthetic words at known places (tests, notebook, benchmark);
- ``cli`` (``inkrepro derender``, ``inkrepro app``) and ``app`` (the Gradio web page, an
  optional extra).
"""
