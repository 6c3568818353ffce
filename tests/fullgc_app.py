"""Test-only app: one button, and how many full (generation 2) garbage collections the server process
has run, counted by a ``gc`` callback registered once per process. ``streamlit run tests/fullgc_app.py``
from the repository root reads the app's own ``.streamlit/config.toml``, so it collects as the app does."""
import gc

import streamlit as st


@st.cache_resource
def counts() -> dict[str, int]:
    seen = {"full": 0}

    def count(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            seen["full"] += 1

    gc.callbacks.append(count)
    return seen


st.session_state["runs"] = st.session_state.get("runs", 0) + 1
st.button("Run again")
st.markdown(f"<div id='counts'>runs {st.session_state['runs']} full {counts()['full']}</div>", unsafe_allow_html=True)
