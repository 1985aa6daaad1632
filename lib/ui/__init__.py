"""The only Streamlit code in lib: caching wrappers and widget helpers."""
