"""The window's words for what it shows: title while another input runs, settings not run yet."""

from engine.pipeline import Spec
from gui.shown_state import spec_changes, window_title


def test_title_names_the_input_on_screen_and_the_one_being_analysed():
    shown, other = Spec(paths=("/data/wine",)), Spec(paths=("/data/iris", "/x/notes.txt"))
    assert window_title(None, Spec(), running=False) == "DataMining6"
    assert window_title(None, other, running=True) == "DataMining6 — iris, notes.txt (analysing…)"
    assert window_title(shown, other, running=True) == "DataMining6 — wine (analysing iris, notes.txt…)"
    assert window_title(shown, other, running=False) == "DataMining6 — wine"
    assert window_title(shown, shown.replace(k=4), running=True) == "DataMining6 — wine"


def test_spec_changes_lists_each_setting_not_run_yet():
    shown = Spec(paths=("/data/wine",))
    assert spec_changes(shown, shown) == []
    changed = shown.replace(k=5, paths=["/data/iris"], detector="ecod")
    assert spec_changes(shown, changed) == ["input iris", "k auto → 5", "detector auto → ecod"]
