import { mount } from 'svelte';
import './styles/tokens.css';
import App from './App.svelte';
import { AppState } from './lib/app.svelte.js';
import { createClient } from './lib/channel.js';

// AppState applies the remembered theme before the first paint of the app.
const state = new AppState(createClient());
mount(App, { target: document.getElementById('app')!, props: { app: state } });
void state.start();
