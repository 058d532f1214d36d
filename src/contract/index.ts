// One typed message contract for the event panel, imported by src/panel and webview/.
export * from './messages';
export * from './validate';
export * from './symbol';
