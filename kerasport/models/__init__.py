"""Models: ``Model`` (Functional or subclassed), ``Sequential``, and loading."""
from kerasport.models.functional import Functional
from kerasport.models.model import Model
from kerasport.models.sequential import Sequential
from kerasport.models.cloning import clone_model, model_from_json  # noqa: F401
from kerasport.models.persistence import load_model, save_model  # noqa: F401
