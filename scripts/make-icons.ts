// Renders public/favicon.svg into the raster icons beside it, with Debian's Chromium:
//   icon-192.png, icon-512.png          the manifest's "any" icons (transparent corners)
//   icon-maskable-512.png               the manifest's "maskable" icon: full-bleed background,
//                                       the drawing inside the central 80% safe zone
//   apple-touch-icon.png (180)          opaque, as iOS wants it
//   favicon.ico (16, 32, 48)            for agents that ask for /favicon.ico regardless
// Run it after changing the SVG: `npx tsx scripts/make-icons.ts`; commit the outputs.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const PUBLIC = join(import.meta.dirname, "..", "public");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The SVG's background colour, used where an icon must be opaque or full-bleed. */
const BACKGROUND = "#101820";

/** One raster: its size, and how the SVG is placed on it. */
interface Raster {
  readonly size: number;
  /** Fraction of the canvas the SVG covers (centred). */
  readonly scale: number;
  /** Canvas fill behind the SVG, or null for transparent. */
  readonly fill: string | null;
}

async function render(svg: string, rasters: readonly Raster[]): Promise<Buffer[]> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
  try {
    const out: Buffer[] = [];
    for (const r of rasters) {
      const page = await browser.newPage({ viewport: { width: r.size, height: r.size }, deviceScaleFactor: 1 });
      const inner = Math.round(r.size * r.scale);
      const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
      await page.setContent(
        `<html><body style="margin:0;background:${r.fill ?? "transparent"}">` +
          `<img src="${src}" width="${inner}" height="${inner}" style="display:block;margin:${(r.size - inner) / 2}px"></body></html>`,
      );
      await page.locator("img").evaluate((img: HTMLImageElement) => img.decode());
      out.push(await page.screenshot({ omitBackground: r.fill === null, type: "png" }));
      await page.close();
    }
    return out;
  } finally {
    await browser.close();
  }
}

/** An ICO file holding PNG images (supported by every browser since Windows Vista's format). */
function ico(images: readonly { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e);
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

async function main(): Promise<void> {
  const svg = readFileSync(join(PUBLIC, "favicon.svg"), "utf8");
  const [i192, i512, maskable, apple, f16, f32, f48] = await render(svg, [
    { size: 192, scale: 1, fill: null },
    { size: 512, scale: 1, fill: null },
    { size: 512, scale: 0.8, fill: BACKGROUND },
    { size: 180, scale: 1, fill: BACKGROUND },
    { size: 16, scale: 1, fill: null },
    { size: 32, scale: 1, fill: null },
    { size: 48, scale: 1, fill: null },
  ]);
  writeFileSync(join(PUBLIC, "icon-192.png"), i192);
  writeFileSync(join(PUBLIC, "icon-512.png"), i512);
  writeFileSync(join(PUBLIC, "icon-maskable-512.png"), maskable);
  writeFileSync(join(PUBLIC, "apple-touch-icon.png"), apple);
  writeFileSync(join(PUBLIC, "favicon.ico"), ico([{ size: 16, png: f16 }, { size: 32, png: f32 }, { size: 48, png: f48 }]));
  console.log(`icons written to ${PUBLIC}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
