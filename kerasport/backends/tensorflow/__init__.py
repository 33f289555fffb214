"""The TensorFlow backend as a package of op-family modules (being filled in from the flat ``tf_*`` modules)."""
