"""Video effects for the participant flow, without Qt: person segmentation and virtual backgrounds.

``model`` fetches and caches the segmentation model, ``segmenter`` turns a frame into a person mask,
``background`` composites the person over a blurred or replaced background.
"""
