/**
 * Where the daemon listens: exactly one of the three transports of
 * `thinclient.toml` (PROTOCOL.md §1.3). The same shape is accepted by
 * `ThinClient.connect` directly, so a config can be built in code.
 *
 * @example
 * const config: ThinClientConfig = { dial: { tcp: { address: 'localhost:64331' } } };
 */
export type DialConfig =
  | { readonly tcp: TcpDial; readonly unix?: never; readonly ws?: never }
  | { readonly unix: UnixDial; readonly tcp?: never; readonly ws?: never }
  | { readonly ws: WsDial; readonly tcp?: never; readonly unix?: never };

/** `[Dial.Tcp]`: `host:port` or `[v6]:port`. */
export interface TcpDial {
  readonly address: string;
  /** `tcp` (default), `tcp4` or `tcp6`, as in Go's `net.Dial`. */
  readonly network?: 'tcp' | 'tcp4' | 'tcp6';
}

/** `[Dial.Unix]`: a filesystem path, or `@name` for a Linux abstract socket. */
export interface UnixDial {
  readonly address: string;
}

/** `[Dial.Ws]`: a `ws://` or `wss://` URL of the daemon's WebSocket listener. */
export interface WsDial {
  readonly address: string;
}

/** The thin client's whole configuration: only how to reach the daemon. */
export interface ThinClientConfig {
  readonly dial: DialConfig;
}
