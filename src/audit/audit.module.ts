/** The auditor's slice: its routes and the recorder of their reads. */
import { Module } from '@nestjs/common';
import { PrivacyModule } from '../privacy/privacy.module.js';
import { ProjectionsModule } from '../projections/projections.module.js';
import { AccessRecorder } from './access-recorder.js';
import { AuditHttpController } from './audit.http.controller.js';

@Module({ imports: [ProjectionsModule, PrivacyModule], controllers: [AuditHttpController], providers: [AccessRecorder] })
export class AuditModule {}
