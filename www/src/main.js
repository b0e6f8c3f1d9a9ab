// sbcmon's page: subscribes to the board's Socket.IO stream, keeps a columnar
// history, and draws tiles and uPlot charts that scroll smoothly between samples.
// Each concern is its own module; this one only starts them.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { initControls } from './controls.js';
import { connect } from './conn.js';
import { startScrolling } from './view.js';

initControls();
startScrolling();
connect();
