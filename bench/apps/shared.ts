// What every equal app of the bundle bench shares: where it calls, who it signs in with, and
// a render that keeps results alive (so no bundler can drop the calls as dead code).
export const API = "https://api.example.com";
export const AUTHORITY = "https://login.example.com";
export const CLIENT_ID = "notes-spa";

export function render(lines: readonly string[]): void {
  const list = document.createElement("ul");
  for (const line of lines)
    list.append(Object.assign(document.createElement("li"), { textContent: line }));
  document.body.append(list);
}
