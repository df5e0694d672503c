"""Streamlit glue shared by the pages, in small modules (everything else lives in `lab`):

- `resources`: the process-wide job manager, records and presets;
- `state`: typed access to this browser session's state (who, the network being
  edited, which widgets start afresh);
- `widgets`: inputs used on several pages (preset, dataset, optimizer, a trained run);
- `text`: showing what a user typed as plain text, never as Markdown;
- `live`: the panels that follow a training run while it trains.
"""
