// The little of `window` that oidc-client-ts's redirect path touches in Node: location
// (assign captures the authorize URL instead of navigating), history, and event listeners.
export interface WindowShim {
  navigations: string[];
  restore(): void;
}

export function installWindowShim(href: string): WindowShim {
  const g = globalThis as Record<string, unknown>;
  const saved = { window: g.window, location: g.location, history: g.history };
  const navigations: string[] = [];
  const location = {
    href,
    assign: (url: string) => navigations.push(url),
    replace: (url: string) => navigations.push(url),
  };
  const history = {
    state: null,
    replaceState: (_s: unknown, _t: string, url: string) => {
      location.href = new URL(url, location.href).toString();
    },
  };
  const win = {
    location,
    history,
    addEventListener: () => {},
    removeEventListener: () => {},
    stop: () => {},
  };
  Object.assign(win, { self: win, top: win });
  g.window = win;
  g.location = location;
  g.history = history;
  return {
    navigations,
    restore() {
      g.window = saved.window;
      g.location = saved.location;
      g.history = saved.history;
    },
  };
}
