import { parseDocument, isScalar, isMap } from "yaml";
const d = parseDocument('a: 0x10\nb: "x"\nc: 1.5\nd:\ne: ~\nf: |\n  hi\n', { schema: "failsafe" });
for (const p of (d.contents as any).items) console.log(p.key.value, JSON.stringify(p.value?.value), p.value?.type, p.value?.source);
