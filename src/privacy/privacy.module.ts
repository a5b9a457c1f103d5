/** Personal data protection: the key store, the cipher the case and audit slices import, and the data-subject routes. */
import { Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module.js';
import { AccessReportQuery } from './access-report.query.js';
import { SubjectCommands } from './commands/subject.commands.js';
import { PersonalDataCipher } from './personal-data.cipher.js';
import { SubjectKeyStore } from './subject-key.store.js';
import { SubjectsHttpController } from './subjects.http.controller.js';

@Module({
  imports: [ProjectionsModule],
  controllers: [SubjectsHttpController],
  providers: [SubjectKeyStore, PersonalDataCipher, AccessReportQuery, SubjectCommands],
  exports: [PersonalDataCipher],
})
export class PrivacyModule {}
