import { clamp } from "../../shared/math.ts";
/**
 * Tracks the canvas's size in device pixels with a ResizeObserver, capped at `maxDpr` times
 * its CSS size (high-DPI phones would otherwise render 3x3 pixels per CSS pixel) and at the
 * device's largest texture. The renderer reads width/height each frame and resizes lazily.
 */
export class CanvasSize {
  width: number;
  height: number;
  private readonly observer: ResizeObserver;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly maxDpr = 2,
    private maxDimension = 8192,
  ) {
    const dpr = Math.min(window.devicePixelRatio || 1, maxDpr);
    this.width = this.clamp(canvas.clientWidth * dpr);
    this.height = this.clamp(canvas.clientHeight * dpr);
    this.observer = new ResizeObserver((entries) => this.onResize(entries));
    try {
      // Exact device pixels where supported (Chromium); avoids blurry rounding at odd zooms.
      this.observer.observe(canvas, { box: "device-pixel-content-box" });
    } catch {
      this.observer.observe(canvas);
    }
  }

  /** Sets the largest allowed dimension (the device's maxTextureDimension2D). */
  setMaxDimension(max: number): void {
    this.maxDimension = max;
  }

  dispose(): void {
    this.observer.disconnect();
  }

  private onResize(entries: ResizeObserverEntry[]): void {
    const entry = entries[entries.length - 1];
    const dpr = window.devicePixelRatio || 1;
    const scale = Math.min(1, this.maxDpr / dpr);
    const device = entry.devicePixelContentBoxSize?.[0];
    if (device) {
      this.width = this.clamp(device.inlineSize * scale);
      this.height = this.clamp(device.blockSize * scale);
    } else {
      const css = entry.contentBoxSize[0];
      this.width = this.clamp(css.inlineSize * dpr * scale);
      this.height = this.clamp(css.blockSize * dpr * scale);
    }
  }

  private clamp(v: number): number {
    return clamp(Math.round(v), 1, this.maxDimension);
  }
}
