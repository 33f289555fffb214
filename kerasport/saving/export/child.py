"""The child process that exports in the other framework: ``python -m kerasport.saving.export.child JOBS.json``.

``JOBS.json`` lists ``[model.keras, target, format, input signature, converter options]`` jobs,
or holds an ``ExportArchive`` plan
(``{"archive": ...}``, see ``archive.py``); each ``.keras`` file is a temporary file the parent
wrote from its own in-memory model. An error is reported on stderr as one
``kerasport-export-error: Type: message`` line, which the parent raises.
"""
import json
import sys


def main(argv=None):
    jobs_file, = sys.argv[1:] if argv is None else argv
    from kerasport.saving.export.archive import write_plan
    from kerasport.saving.export.export_lib import ERROR_PREFIX, export_models
    from kerasport.saving.saving_api import load_model
    try:
        with open(jobs_file) as f:
            jobs = json.load(f)
        if isinstance(jobs, dict):
            write_plan(jobs["archive"])
            return 0
        # Each file was written a moment ago by the parent from its own model (Lambda layers
        # included), so safe mode's refusal of stored bytecode has nothing to protect here.
        for source, target, format, signature, options in jobs:
            model = load_model(source, compile=False, safe_mode=False)
            export_models([(model, target, format)], verbose=False, input_signature=signature, **options)
    except Exception as error:  # reported to the parent, which raises it
        message = " ".join(str(error).split())
        print(f"{ERROR_PREFIX}{type(error).__name__}: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
