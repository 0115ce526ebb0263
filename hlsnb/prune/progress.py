"""Progress of a pruning run: a tqdm bar over fine-tuning epochs, or a user callback ``f(done, total, text)``."""

from __future__ import annotations

__all__ = ["Progress", "epoch_callback"]


class Progress:
    """tqdm bar over fine-tune epochs (``progress=True``), a callable ``f(done, total, text)``, or nothing."""

    def __init__(self, progress, total: int):
        self.cb = progress if callable(progress) else None
        self.total, self.done, self.text = total, 0, ""
        self.bar = None
        if progress is True:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc="pruning", unit="epoch")

    def grow(self, extra: int):
        self.total += extra
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def describe(self, text: str):
        self.text = text
        if self.bar is not None:
            self.bar.set_description(text)
        if self.cb is not None:
            self.cb(self.done, self.total, text)

    def epoch(self, logs=None):
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            if logs:
                self.bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items() if k in ("loss", "accuracy")})
        if self.cb is not None:
            self.cb(self.done, self.total, self.text)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def epoch_callback(progress: Progress):
    """A Keras callback that advances ``progress`` by one epoch at every epoch end."""
    import keras

    class CB(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            progress.epoch(logs)

    return CB()
