"""`python -m pipeline COMMAND ...`: the pipeline's command line (see pipeline/cli.py)."""
from pipeline.cli import main

if __name__ == "__main__":
    main()
