"""``kerasport.quantizers``: Keras 3's quantizers, quantization configs and quantization primitives."""
import inspect

from kerasport.core.naming import to_snake_case
from kerasport.core.serialization import deserialize_keras_object, serialize_keras_object
from kerasport.quantizers.quantization_config import (AWQConfig, Float8QuantizationConfig, GPTQConfig,
                                                      Int4QuantizationConfig, Int8QuantizationConfig,
                                                      QuantizationConfig)
from kerasport.quantizers.quantizers import (AbsMaxQuantizer, Quantizer, abs_max_quantize,
                                             abs_max_quantize_grouped_with_zero_point, compute_float8_amax_history,
                                             compute_float8_scale, fake_quant_with_min_max_vars, pack_int4,
                                             quantize_and_dequantize, unpack_int4)

ALL_OBJECTS = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig, Int4QuantizationConfig,
               Float8QuantizationConfig)
ALL_OBJECTS_DICT = {**{cls.__name__: cls for cls in ALL_OBJECTS},
                    **{to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS}}


def serialize(quantizer):
    """Keras 3's dict form of a quantizer or quantization config."""
    return serialize_keras_object(quantizer)


def deserialize(config, custom_objects=None):
    """The quantizer or quantization config that ``config`` (``serialize``'s dict) describes."""
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects,
                                    printable_module_name="quantizer")


def get(identifier, **kwargs):
    """A quantizer from a config dict, a class name (``"AbsMaxQuantizer"``, ``"abs_max_quantizer"``) or an
    instance; None for None."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        return obj(**kwargs) if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
